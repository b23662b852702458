package player

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tapedeck/tapedeck/media"
)

// ffmpegDecoder decodes what beep cannot (AAC, ALAC, Opus) by running
// ffmpeg, which writes 32-bit float stereo PCM at the output rate. ffmpeg
// itself removes the priming that edit lists, iTunSMPB (iTunes files have
// no edit list: TestITunesPrimingTrimmed) and Opus pre-skip declare; the
// AAC end padding, which it keeps, is cut at the duration the file declares.
// Seeking restarts ffmpeg at the new position (-ss before -i is exact).
type ffmpegDecoder struct {
	bin, path string
	r         int
	total     int64 // frames at r, or -1
	pos       int64
	cmd       *exec.Cmd
	out       io.ReadCloser
	br        *bufio.Reader
	stderr    *bytes.Buffer
	buf       []byte
	err       error
}

// ffmpegPath finds the ffmpeg program: bin if set, else "ffmpeg" in PATH.
func ffmpegPath(bin string) (string, error) {
	if bin == "" {
		bin = "ffmpeg"
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("%w: %s", ErrNoFFmpeg, bin)
	}
	return p, nil
}

func openFFmpeg(bin, path string, info media.Info, outRate int) (decoder, error) {
	p, err := ffmpegPath(bin)
	if err != nil {
		codec := info.Codec
		if codec == "" {
			codec = strings.TrimPrefix(filepath.Ext(path), ".")
		}
		return nil, fmt.Errorf("playing %s needs ffmpeg, which is not installed (apt-get install ffmpeg): %w",
			codec, ErrNoFFmpeg)
	}
	d := &ffmpegDecoder{bin: p, path: path, r: outRate, total: -1}
	if info.Codec == "aac" && info.DurationMs > 0 {
		d.total = int64(math.Round(float64(info.DurationMs) * float64(outRate) / 1000))
	}
	if err := d.start(0); err != nil {
		return nil, err
	}
	// Read the first bytes now so that a file ffmpeg cannot read fails here,
	// when the engine can skip it, rather than later.
	if _, err := d.br.Peek(8); err != nil {
		d.close()
		return nil, fmt.Errorf("%w: %s: %s", ErrDecode, filepath.Base(path), d.failure(err))
	}
	return d, nil
}

func (d *ffmpegDecoder) start(frame int64) error {
	args := []string{"-hide_banner", "-nostdin", "-v", "error"}
	if frame > 0 {
		args = append(args, "-ss", strconv.FormatFloat(float64(frame)/float64(d.r), 'f', 6, 64))
	}
	args = append(args, "-i", d.path, "-map", "0:a:0", "-vn",
		"-f", "f32le", "-ac", "2", "-ar", strconv.Itoa(d.r), "pipe:1")
	cmd := exec.Command(d.bin, args...)
	d.stderr = &bytes.Buffer{}
	cmd.Stderr = d.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting ffmpeg: %w", err)
	}
	d.cmd, d.out, d.pos, d.err = cmd, out, frame, nil
	d.br = bufio.NewReaderSize(out, 64<<10)
	return nil
}

// failure describes why ffmpeg stopped, from its exit status and stderr.
func (d *ffmpegDecoder) failure(readErr error) string {
	werr := d.wait()
	msg := strings.TrimSpace(d.stderr.String())
	switch {
	case msg != "":
		return msg
	case werr != nil:
		return werr.Error()
	case errors.Is(readErr, io.EOF):
		return "no audio"
	}
	return readErr.Error()
}

func (d *ffmpegDecoder) wait() error {
	if d.cmd == nil {
		return nil
	}
	err := d.cmd.Wait()
	d.cmd = nil
	return err
}

func (d *ffmpegDecoder) rate() int     { return d.r }
func (d *ffmpegDecoder) length() int64 { return d.total }
func (d *ffmpegDecoder) Err() error    { return d.err }

func (d *ffmpegDecoder) close() error {
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Kill()
	}
	d.out.Close()
	d.wait()
	return nil
}

func (d *ffmpegDecoder) seek(f int64) error {
	d.close()
	return d.start(max(f, 0))
}

func (d *ffmpegDecoder) Stream(p [][2]float64) (int, bool) {
	if d.err != nil || d.cmd == nil {
		return 0, false
	}
	want := int64(len(p))
	if d.total >= 0 {
		want = min(want, d.total-d.pos)
	}
	if want <= 0 {
		return 0, false
	}
	if cap(d.buf) < int(want)*8 {
		d.buf = make([]byte, want*8)
	}
	buf := d.buf[:want*8]
	n, err := io.ReadFull(d.br, buf)
	frames := n / 8
	for i := range frames {
		b := buf[i*8:]
		p[i][0] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		p[i][1] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4:])))
	}
	d.pos += int64(frames)
	if err != nil {
		if werr := d.wait(); werr != nil {
			d.err = fmt.Errorf("ffmpeg: %s", d.failureText(werr))
		}
		d.cmd = nil
	}
	return frames, frames > 0
}

func (d *ffmpegDecoder) failureText(werr error) string {
	if msg := strings.TrimSpace(d.stderr.String()); msg != "" {
		return msg
	}
	return werr.Error()
}
