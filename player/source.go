package player

import (
	"context"
	"math"
)

// Source is what an Output plays: the engine's audio as interleaved stereo
// float32 samples in [-1, 1] at SampleRate.
type Source interface {
	SampleRate() int
	// Read fills p with as many samples as are ready (an even number) and
	// never blocks; 0 means nothing to play now (paused, stopped, or the
	// decoder is behind). Outputs that must keep a device fed play silence.
	Read(p []float32) int
	// ReadWait is Read that waits until at least one sample is ready or ctx
	// ends. Outputs that may pause (pipe, null) use it.
	ReadWait(ctx context.Context, p []float32) (int, error)
}

// source is the engine's side of Source, kept off Engine's own method set.
type source struct{ e *Engine }

func (s source) SampleRate() int                                        { return s.e.cfg.rate }
func (s source) Read(p []float32) int                                   { return s.e.read(p) }
func (s source) ReadWait(ctx context.Context, p []float32) (int, error) { return s.e.readWait(ctx, p) }

// read moves samples from the chunks to p, applying the volume, and turns
// chunk boundaries into events.
func (e *Engine) read(p []float32) int {
	e.readMu.Lock()
	defer e.readMu.Unlock()
	p = p[:len(p)&^1]
	vol := float32(math.Float64frombits(e.volume.Load()))
	n := 0
	for n < len(p) && State(e.stateA.Load()) == StatePlaying {
		c := e.rdCur
		if c == nil {
			select {
			case c = <-e.chunks:
				e.rdCur, e.rdOff = c, 0
			default:
				return n
			}
		}
		if !e.live(c) || c.first && e.rdOff == 0 && !e.trackStarted(c) {
			e.dropCurrent()
			continue
		}
		k := copy(p[n:], c.data[e.rdOff:])
		if vol != 1 {
			for i := n; i < n+k; i++ {
				p[i] *= vol
			}
		}
		n += k
		e.rdOff += k
		if k > 0 {
			e.pos.Store(c.start + int64(e.rdOff/2))
		}
		if e.rdOff == len(c.data) {
			if c.end {
				e.trackEnded(c)
			}
			e.dropCurrent()
		}
	}
	return n
}

func (e *Engine) dropCurrent() {
	if c := e.rdCur; c != nil && c.data != nil {
		putChunk(c)
	}
	e.rdCur, e.rdOff = nil, 0
}

func (e *Engine) readWait(ctx context.Context, p []float32) (int, error) {
	for {
		changed := e.changedChan()
		if n := e.read(p); n > 0 {
			return n, nil
		}
		var chunks <-chan *chunk
		if State(e.stateA.Load()) == StatePlaying {
			chunks = e.chunks
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-changed:
		case c := <-chunks:
			e.readMu.Lock()
			e.dropCurrent()
			e.rdCur, e.rdOff = c, 0
			e.readMu.Unlock()
		}
	}
}

// trackStarted runs when the first sample of a track is about to go to the
// output. It is false when the chunk went stale meanwhile (an edit took
// the track out of what follows): then not a sample of it may be heard.
func (e *Engine) trackStarted(c *chunk) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.live(c) {
		return false
	}
	e.cursor, e.heard = c.e, c.e
	e.heardLocked(c.play)
	e.durMs.Store(c.durMs)
	e.postLocked(Event{Type: EventTrackStart, Track: c.e.t, Index: indexOf(e.queue, c.e)})
	return true
}

// trackEnded runs when the last sample of a track went to the output.
func (e *Engine) trackEnded(c *chunk) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.live(c) {
		return
	}
	if c.e != nil && e.heard == c.e {
		e.postLocked(Event{Type: EventTrackEnd, Track: c.e.t, Index: indexOf(e.queue, c.e), Finished: c.finished})
		e.heard = nil
	}
	// The end of a spliced play is not the end of the queue any more: the
	// current generation says what follows.
	if c.last && c.gen == e.tgt.gen {
		e.pos.Store(0)
		e.setTargetLocked(target{})
		e.setStateLocked(StateStopped)
	}
}
