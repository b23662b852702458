package player

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Pipe writes raw PCM, signed 16-bit little-endian stereo at the engine's
// rate (the format of Snapcast's pipe source), to Path.
//
// If Path does not exist a FIFO is made there. A FIFO is opened once,
// read-write and non-blocking, and kept open for the whole Play: on Linux
// that open never fails for want of a reader, and a reader that polls the
// FIFO (snapserver opens, reads, and closes it every 100 ms while idle) sees
// "no data yet" rather than end of file, so it finds the stream whenever it
// looks. Writes are paced in real time. When nobody reads, the FIFO's buffer
// fills; the oldest audio in it is then read back and dropped, so the engine
// never blocks, the queue moves on as if heard, and a reader that attaches
// hears the stream from about then on (MPD's FIFO output works the same way).
//
// Each write is at most PIPE_BUF (4096) bytes, which Linux writes whole or
// not at all, so a reader never gets half a frame. They go out pipeBurst at
// a time (93 ms at 44.1 kHz), so that playback wakes the process about ten
// times a second rather than forty: each wake-up costs about as much CPU as
// decoding an MP3 frame, while the audio this writes ahead of real time
// stays far below what Snapcast buffers (a second by default).
//
// An existing regular file (or a device such as /dev/null) is truncated and
// written as fast as the decoder goes, unless Realtime is set.
type Pipe struct {
	Path     string
	Realtime bool  // pace writes to a regular file in real time
	Clock    Clock // default: the system clock
}

const (
	// pipeChunk is PIPE_BUF bytes of s16 stereo: 1024 frames.
	pipeChunk = 4096
	// pipeBurst is how many chunks are written at each wake-up.
	pipeBurst = 4
)

// Play implements Output.
func (o *Pipe) Play(ctx context.Context, src Source) error {
	clock := o.Clock
	if clock == nil {
		clock = realClock{}
	}
	st, err := os.Stat(o.Path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := unix.Mkfifo(o.Path, 0o644); err != nil {
			return fmt.Errorf("pipe: making FIFO %s: %w", o.Path, err)
		}
		st, err = os.Stat(o.Path)
	}
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	if st.Mode()&fs.ModeNamedPipe != 0 {
		return o.playFIFO(ctx, src, clock)
	}
	return o.playFile(ctx, src, clock)
}

func (o *Pipe) playFile(ctx context.Context, src Source, clock Clock) error {
	f, err := os.OpenFile(o.Path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	pc := pacer{clock: clock, rate: src.SampleRate()}
	buf := make([]float32, pipeBurst*pipeChunk/2)
	out := make([]byte, 0, pipeBurst*pipeChunk)
	for {
		n, err := src.ReadWait(ctx, buf)
		if err != nil {
			return f.Close()
		}
		if _, err := f.Write(s16(out[:0], buf[:n])); err != nil {
			f.Close()
			return fmt.Errorf("pipe: %w", err)
		}
		if o.Realtime {
			if pc.wait(ctx, n/2) != nil {
				return f.Close()
			}
		}
	}
}

func (o *Pipe) playFIFO(ctx context.Context, src Source, clock Clock) error {
	fd, err := unix.Open(o.Path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pipe: opening FIFO %s: %w", o.Path, err)
	}
	defer unix.Close(fd)
	pc := pacer{clock: clock, rate: src.SampleRate()}
	buf := make([]float32, pipeBurst*pipeChunk/2)
	out := make([]byte, 0, pipeBurst*pipeChunk)
	drop := make([]byte, 16*pipeChunk)
	for {
		n, err := src.ReadWait(ctx, buf)
		if err != nil {
			return nil
		}
		pcm := s16(out[:0], buf[:n])
		for len(pcm) > 0 {
			k := min(len(pcm), pipeChunk)
			if err := writeFIFO(fd, pcm[:k], drop); err != nil {
				return fmt.Errorf("pipe: %w", err)
			}
			pcm = pcm[k:]
		}
		if pc.wait(ctx, n/2) != nil {
			return nil
		}
	}
}

// writeFIFO writes one chunk; when the FIFO is full (nobody reads), it
// drops the oldest audio in it to make room, so writing never blocks.
func writeFIFO(fd int, chunk, drop []byte) error {
	for attempt := 0; ; attempt++ {
		_, err := unix.Write(fd, chunk)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case !errors.Is(err, unix.EAGAIN) || attempt > 0:
			if errors.Is(err, unix.EAGAIN) {
				return nil // still full: drop this chunk instead
			}
			return err
		}
		if _, err := unix.Read(fd, drop); err != nil && !errors.Is(err, unix.EAGAIN) {
			return err
		}
	}
}
