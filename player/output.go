package player

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Output plays a Source until ctx ends (returning nil or ctx's error) or
// the output fails (returning why).
type Output interface {
	Play(ctx context.Context, src Source) error
}

// ErrOutputDead is matched (errors.Is) when an output cannot play: no sound
// device, or one that stopped taking samples.
var ErrOutputDead = errors.New("audio output is not working")

// ParseOutput builds the output that a player.output setting names:
// "speaker", "null" or "pipe:PATH".
func ParseOutput(spec string) (Output, error) {
	switch {
	case spec == "speaker":
		return &Speaker{}, nil
	case spec == "null":
		return &Null{Realtime: true}, nil
	case strings.HasPrefix(spec, "pipe:") && len(spec) > len("pipe:"):
		return &Pipe{Path: strings.TrimPrefix(spec, "pipe:")}, nil
	}
	return nil, fmt.Errorf("output %q: want speaker, null or pipe:PATH", spec)
}

// Clock is the time source of the outputs that pace themselves.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer keeps a writer to real time: after frames have been played it sleeps
// until the wall clock catches up. After a pause (or a slow decoder) it
// starts afresh rather than rushing to make up the time.
type pacer struct {
	clock  Clock
	rate   int
	t0     time.Time
	frames int64
}

func (p *pacer) wait(ctx context.Context, frames int) error {
	now := p.clock.Now()
	if p.t0.IsZero() || now.Sub(p.at()) > 200*time.Millisecond {
		p.t0, p.frames = now, 0
	}
	p.frames += int64(frames)
	if d := p.at().Sub(now); d > 0 {
		return p.clock.Sleep(ctx, d)
	}
	return nil
}

// at is when the frames played so far will have been heard.
func (p *pacer) at() time.Time {
	return p.t0.Add(time.Duration(p.frames) * time.Second / time.Duration(p.rate))
}

// nullFrames is how much the null output takes at a time.
const nullFrames = chunksAhead * chunkFrames / 2

// Null consumes samples and discards them: for machines without sound and
// for tests. With Realtime it takes them at the output rate, otherwise as
// fast as the decoder goes.
type Null struct {
	Realtime bool
	Clock    Clock // default: the system clock
	// Frames counts the frames consumed (read it after Play returns).
	Frames int64
}

// Play implements Output.
func (o *Null) Play(ctx context.Context, src Source) error {
	pc := pacer{clock: o.Clock, rate: src.SampleRate()}
	if pc.clock == nil {
		pc.clock = realClock{}
	}
	// Half the engine's buffer (186 ms at 44.1 kHz) per wake-up: waking the
	// process costs about as much CPU as decoding an MP3 frame (0.1–0.2 ms
	// on a small virtual machine), and nobody hears this output's latency.
	buf := make([]float32, nullFrames*2)
	for {
		n, err := src.ReadWait(ctx, buf)
		if err != nil {
			return nil
		}
		o.Frames += int64(n / 2)
		if o.Realtime {
			if err := pc.wait(ctx, n/2); err != nil {
				return nil
			}
		}
	}
}

// s16 converts samples to signed 16-bit little-endian, clipping.
func s16(dst []byte, src []float32) []byte {
	for _, v := range src {
		f := v * 32767
		x := int32(f + 0.5)
		if f < 0 {
			x = int32(f - 0.5)
		}
		if v >= 1 {
			x = 32767
		} else if v <= -1 {
			x = -32767
		}
		dst = append(dst, byte(x), byte(x>>8))
	}
	return dst
}
