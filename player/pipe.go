package player

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Pipe writes raw PCM, signed 16-bit little-endian stereo at the engine's
// rate (the format of Snapcast's pipe source), to Path.
//
// If Path does not exist a FIFO is made there. A FIFO is written without
// ever blocking the engine:
//   - no reader attached: the audio is discarded at real-time pace (the queue
//     moves on as if heard) and the FIFO is opened again every RetryEvery; a
//     reader that attaches hears the stream from then on;
//   - a reader attached: it sets the pace (Snapcast reads in real time);
//   - a reader that takes nothing for StallTimeout, or goes away, is
//     treated as no reader.
//
// Each write is at most PIPE_BUF (4096) bytes, which Linux writes whole or
// not at all, so a reader never gets half a frame.
//
// An existing regular file (or a device such as /dev/null) is truncated and
// written as fast as the decoder goes, unless Realtime is set.
type Pipe struct {
	Path         string
	Realtime     bool          // pace writes to a regular file in real time
	StallTimeout time.Duration // default 2 s
	RetryEvery   time.Duration // default 500 ms
	Clock        Clock         // default: the system clock
}

// pipeChunk is PIPE_BUF bytes of s16 stereo: 1024 frames.
const pipeChunk = 4096

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
	buf := make([]float32, pipeChunk/2)
	out := make([]byte, 0, pipeChunk)
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
	stall, retry := o.StallTimeout, o.RetryEvery
	if stall <= 0 {
		stall = 2 * time.Second
	}
	if retry <= 0 {
		retry = 500 * time.Millisecond
	}
	pc := pacer{clock: clock, rate: src.SampleRate()}
	buf := make([]float32, pipeChunk/2)
	out := make([]byte, 0, pipeChunk)
	var f *os.File
	var nextTry time.Time
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for {
		n, err := src.ReadWait(ctx, buf)
		if err != nil {
			return nil
		}
		if f == nil && !clock.Now().Before(nextTry) {
			f, err = openFIFOWriter(o.Path)
			if err != nil && !errors.Is(err, unix.ENXIO) {
				return fmt.Errorf("pipe: %w", err)
			}
			if f == nil {
				nextTry = clock.Now().Add(retry)
			}
		}
		if f != nil {
			f.SetWriteDeadline(time.Now().Add(stall))
			if _, err := f.Write(s16(out[:0], buf[:n])); err == nil {
				pc.t0 = time.Time{} // the reader sets the pace
				continue
			}
			// Reader gone (EPIPE) or stalled (deadline): drop it.
			f.Close()
			f, nextTry = nil, clock.Now().Add(retry)
		}
		if pc.wait(ctx, n/2) != nil {
			return nil
		}
	}
}

// openFIFOWriter opens a FIFO for writing without blocking: ENXIO when no
// reader is attached. The descriptor stays non-blocking, so Go's poller
// handles it and write deadlines work.
func openFIFOWriter(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}
