package player

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/ebitengine/oto/v3"
)

// Speaker plays through the default ALSA device with oto (the library
// beep's speaker uses), driven directly so that a dead device is noticed:
// oto opens the device in the background and only records a failure in
// Context.Err, and a device that stops taking samples reports nothing. Play
// waits for the device, checks that error, then watches that samples keep
// being consumed; either failure ends Play with ErrOutputDead.
//
// Oto allows one device context per process, opened at the first Play's
// sample rate; later Plays reuse it.
type Speaker struct {
	// BufferSize is how much audio oto queues ahead (default 100 ms): the
	// latency of pause, seek and volume.
	BufferSize time.Duration
	// OpenTimeout bounds the wait for the device to open (default 5 s).
	OpenTimeout time.Duration
	// StallTimeout: no sample consumed for this long means the device is
	// dead (default 2 s).
	StallTimeout time.Duration

	// device opens the sound device; nil means oto. Tests replace it.
	device func(rate int, buffer time.Duration) (audioDevice, error)
}

// audioDevice is the part of oto's Context the speaker uses.
type audioDevice interface {
	Ready() <-chan struct{}
	Err() error
	NewPlayer(r io.Reader) devicePlayer
	Suspend() error
	Resume() error
}

// devicePlayer is the part of oto's Player the speaker uses.
type devicePlayer interface {
	Play()
	Err() error
	Close() error
}

// Play implements Output.
func (o *Speaker) Play(ctx context.Context, src Source) error {
	buffer, openTimeout, stall := o.BufferSize, o.OpenTimeout, o.StallTimeout
	if buffer <= 0 {
		buffer = 100 * time.Millisecond
	}
	if openTimeout <= 0 {
		openTimeout = 5 * time.Second
	}
	if stall <= 0 {
		stall = 2 * time.Second
	}
	open := o.device
	if open == nil {
		open = openOto
	}
	dev, err := open(src.SampleRate(), buffer)
	if err != nil {
		return deadOutput("opening the sound device", err)
	}
	t := time.NewTimer(openTimeout)
	defer t.Stop()
	select {
	case <-dev.Ready():
	case <-t.C:
		return deadOutput(fmt.Sprintf("the sound device did not open within %v", openTimeout), nil)
	case <-ctx.Done():
		return nil
	}
	if err := dev.Err(); err != nil {
		return deadOutput("opening the sound device", err)
	}
	dev.Resume()
	defer dev.Suspend()
	r := &deviceReader{src: src}
	r.touch()
	p := dev.NewPlayer(r)
	defer p.Close()
	p.Play()
	tick := time.NewTicker(stall / 8)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := dev.Err(); err != nil {
			return deadOutput("the sound device failed", err)
		}
		if err := p.Err(); err != nil {
			return deadOutput("the sound device failed", err)
		}
		if since := time.Since(time.Unix(0, r.last.Load())); since > stall {
			return deadOutput(fmt.Sprintf("the sound device took no samples for %v", since.Round(time.Millisecond)), nil)
		}
	}
}

func deadOutput(what string, err error) error {
	const hint = " (output speaker uses ALSA's default device: check `aplay -l` and ~/.asoundrc, or use output null or pipe:PATH)"
	if err != nil {
		return fmt.Errorf("%w: %s: %v%s", ErrOutputDead, what, err, hint)
	}
	return fmt.Errorf("%w: %s%s", ErrOutputDead, what, hint)
}

// deviceReader feeds the device float32 samples, silence when the engine
// has nothing (a sound device must be kept fed), and notes when it was
// last asked for samples.
type deviceReader struct {
	src  Source
	buf  []float32
	last atomic.Int64 // unix nanoseconds
}

func (r *deviceReader) touch() { r.last.Store(time.Now().UnixNano()) }

func (r *deviceReader) Read(p []byte) (int, error) {
	r.touch()
	p = p[:len(p)&^7]
	n := len(p) / 4
	if cap(r.buf) < n {
		r.buf = make([]float32, n)
	}
	buf := r.buf[:n]
	got := r.src.Read(buf)
	clear(buf[got:])
	for i, v := range buf {
		binary.LittleEndian.PutUint32(p[i*4:], math.Float32bits(v))
	}
	return len(p), nil
}

var (
	otoMu   gosync.Mutex
	otoCtx  *oto.Context
	otoRate int
	otoErr  error
	otoRdy  chan struct{}
)

type otoDevice struct {
	c      *oto.Context
	ready  chan struct{}
	buffer int // bytes oto's player queues
}

func (d otoDevice) Ready() <-chan struct{} { return d.ready }
func (d otoDevice) Err() error             { return d.c.Err() }
func (d otoDevice) Suspend() error         { return d.c.Suspend() }
func (d otoDevice) Resume() error          { return d.c.Resume() }
func (d otoDevice) NewPlayer(r io.Reader) devicePlayer {
	p := d.c.NewPlayer(r)
	// Oto's player queues half a second by default; keep it to the device
	// buffer's length so that controls act quickly.
	p.SetBufferSize(d.buffer)
	return p
}

// openOto creates the process's oto context, or returns the existing one.
func openOto(rate int, buffer time.Duration) (audioDevice, error) {
	otoMu.Lock()
	defer otoMu.Unlock()
	if otoCtx == nil && otoErr == nil {
		quietALSA()
		otoCtx, otoRdy, otoErr = oto.NewContext(&oto.NewContextOptions{
			SampleRate: rate, ChannelCount: 2, Format: oto.FormatFloat32LE, BufferSize: buffer,
		})
		otoRate = rate
	}
	if otoErr != nil {
		return nil, otoErr
	}
	if rate != otoRate {
		return nil, fmt.Errorf("the sound device is already open at %d Hz, not %d Hz", otoRate, rate)
	}
	return otoDevice{c: otoCtx, ready: otoRdy, buffer: max(int(float64(rate)*buffer.Seconds()), 1024) * 8}, nil
}
