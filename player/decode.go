package player

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gopxl/beep/v2"
	"github.com/gopxl/beep/v2/flac"
	"github.com/gopxl/beep/v2/vorbis"
	"github.com/gopxl/beep/v2/wav"

	"github.com/tapedeck/tapedeck/media"
)

// ErrNoFFmpeg is matched (errors.Is) when a file needs the ffmpeg program
// (AAC, ALAC, Opus) and it is not installed.
var ErrNoFFmpeg = errors.New("ffmpeg not found")

// ErrDecode is matched (errors.Is) by errors about a file's audio: it could
// not be opened as audio, it is corrupt or truncated, or its decoder panicked.
var ErrDecode = errors.New("cannot decode")

// decoder is one open file, decoded at its own sample rate with encoder delay
// and padding already removed. Positions are frames at rate().
type decoder interface {
	beep.Streamer
	rate() int
	// seek moves to frame f (0 = the first real sample).
	seek(f int64) error
	// length is the number of frames, or -1 when unknown.
	length() int64
	close() error
}

// mp3DecoderDelay is the delay of the MP3 synthesis filterbank, which the
// LAME tag's delay does not include (the LAME convention, also ffmpeg's).
const mp3DecoderDelay = 529

// openDecoder opens path as audio. outRate is the rate a decoder that
// resamples by itself (ffmpeg) should produce.
func openDecoder(path string, info media.Info, outRate int, ffmpeg string) (decoder, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	switch {
	case info.Codec == "opus" || ext == "opus" || ext == "m4a" || ext == "mp4" || ext == "m4b" ||
		info.Codec == "aac" || info.Codec == "alac":
		return openFFmpeg(ffmpeg, path, info, outRate)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	d, err := openNative(f, ext, info)
	if err != nil {
		f.Close()
		if ext == "wav" || ext == "wave" {
			// Beep reads 8/16/24-bit PCM only; float and other WAVs go to ffmpeg.
			if fd, ferr := openFFmpeg(ffmpeg, path, info, outRate); ferr == nil {
				return fd, nil
			}
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrDecode, filepath.Base(path), err)
	}
	return d, nil
}

func openNative(f *os.File, ext string, info media.Info) (d decoder, err error) {
	defer func() {
		if v := recover(); v != nil {
			d, err = nil, fmt.Errorf("decoder panic: %v", v)
		}
	}()
	var s beep.StreamSeekCloser
	var format beep.Format
	switch ext {
	case "mp3":
		return newMP3(f, info)
	case "flac":
		s, format, err = flac.Decode(newBufReadSeeker(f))
	case "ogg", "oga":
		s, format, err = vorbis.Decode(f)
	case "wav", "wave":
		s, format, err = wav.Decode(newBufReadSeeker(f))
	default:
		return nil, fmt.Errorf("%w: %s", media.ErrUnsupported, ext)
	}
	if err != nil {
		return nil, err
	}
	return &beepDecoder{s: s, r: int(format.SampleRate), f: f}, nil
}

// beepDecoder adapts one of beep's decoders.
type beepDecoder struct {
	s beep.StreamSeekCloser
	r int
	f *os.File
}

func (d *beepDecoder) Stream(p [][2]float64) (int, bool) { return d.s.Stream(p) }
func (d *beepDecoder) Err() error                        { return d.s.Err() }
func (d *beepDecoder) rate() int                         { return d.r }
func (d *beepDecoder) length() int64                     { return int64(d.s.Len()) }
func (d *beepDecoder) seek(f int64) error                { return d.s.Seek(int(min(f, int64(d.s.Len())))) }
func (d *beepDecoder) close() error {
	d.s.Close()
	return d.f.Close()
}

// filler makes a decoder's short Stream mean the end, as beep's resampler
// assumes: it streams until p is full or the decoder is done.
type filler struct{ d decoder }

func (f filler) Err() error { return f.d.Err() }
func (f filler) Stream(p [][2]float64) (int, bool) {
	n := 0
	for n < len(p) {
		k, ok := f.d.Stream(p[n:])
		n += k
		if !ok {
			break
		}
	}
	return n, n > 0
}

// bufReadSeeker buffers reads of a file and drops the buffer on Seek, so
// decoders that read a few bytes at a time do not make a syscall each.
type bufReadSeeker struct {
	f   *os.File
	br  *bufio.Reader
	pos int64 // position of the next byte br returns
}

func newBufReadSeeker(f *os.File) *bufReadSeeker {
	return &bufReadSeeker{f: f, br: bufio.NewReaderSize(f, 64<<10)}
}

// Read fills p entirely unless the file ends: beep's WAV decoder takes a
// short read for the end and would lose frame alignment on a partial one.
func (b *bufReadSeeker) Read(p []byte) (int, error) {
	n := 0
	var err error
	for n < len(p) && err == nil {
		var k int
		k, err = b.br.Read(p[n:])
		n += k
	}
	b.pos += int64(n)
	if n > 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

func (b *bufReadSeeker) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekCurrent {
		off, whence = b.pos+off, io.SeekStart
	}
	if whence == io.SeekStart && off >= b.pos && off-b.pos <= int64(b.br.Buffered()) {
		n, _ := b.br.Discard(int(off - b.pos))
		b.pos += int64(n)
		return b.pos, nil
	}
	p, err := b.f.Seek(off, whence)
	if err != nil {
		return 0, err
	}
	b.br.Reset(b.f)
	b.pos = p
	return p, nil
}
