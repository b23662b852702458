package player

import (
	"context"
	"fmt"
	gosync "sync"
)

// chunk is a piece of decoded audio on its way to the output, or a marker.
type chunk struct {
	gen      uint64
	e        *entry
	start    int64     // output frame of data[0] within the track
	durMs    int64     // the track's duration, 0 when unknown
	first    bool      // the first chunk of a new play of e
	data     []float32 // interleaved stereo, ReplayGain applied
	end      bool      // after data, the track is over
	finished bool      // with end: it played to its end (no error)
	last     bool      // with end: nothing follows (end of the queue)
}

var chunkPool = gosync.Pool{New: func() any {
	return &chunk{data: make([]float32, 0, chunkFrames*2)}
}}

func getChunk() *chunk {
	c := chunkPool.Get().(*chunk)
	data := c.data[:0]
	*c = chunk{data: data}
	return c
}

func putChunk(c *chunk) {
	c.e = nil
	chunkPool.Put(c)
}

// prepared is the next track, opened ahead of time so that it follows the
// current one without a gap.
type prepared struct {
	e    *entry
	tr   *track
	err  error
	done chan struct{}
}

func (e *Engine) prepare(en *entry) *prepared {
	p := &prepared{e: en, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.tr, p.err = openTrack(en.t, e.cfg)
	}()
	return p
}

func (p *prepared) discard() {
	if p == nil {
		return
	}
	go func() {
		<-p.done
		if p.tr != nil {
			p.tr.close()
		}
	}()
}

// producer is the decoding side: the state of the goroutine running produce.
type producer struct {
	e     *Engine
	gen   uint64
	cur   *track
	curE  *entry
	first bool
	prep  *prepared
	buf   [][2]float64
}

// produce decodes the target into e.chunks until ctx ends.
func (e *Engine) produce(ctx context.Context) {
	p := &producer{e: e, buf: make([][2]float64, chunkFrames)}
	defer p.reset()
	for ctx.Err() == nil {
		e.mu.Lock()
		t := e.tgt
		e.mu.Unlock()
		if t.gen != p.gen {
			p.reset()
			p.gen = t.gen
			if t.e != nil {
				p.begin(ctx, t.e, t.ms, !t.seek, false)
			}
		}
		if p.cur == nil {
			select {
			case <-e.wakeProd:
			case <-ctx.Done():
			}
			continue
		}
		p.step(ctx)
	}
}

func (p *producer) reset() {
	if p.cur != nil {
		p.cur.close()
	}
	p.cur, p.curE = nil, nil
	p.prep.discard()
	p.prep = nil
}

// step decodes and sends one chunk, handling the end of the track.
func (p *producer) step(ctx context.Context) {
	n, ok, err := p.cur.read(p.buf)
	if n > 0 {
		c := getChunk()
		c.gen, c.e, c.first = p.gen, p.curE, p.first
		c.start = p.cur.pos - int64(n)
		c.durMs = p.durMs()
		for _, f := range p.buf[:n] {
			c.data = append(c.data, float32(f[0]), float32(f[1]))
		}
		p.first = false
		if !p.send(ctx, c) {
			return
		}
	}
	if ok {
		p.maybePrepare()
		return
	}
	if err != nil {
		p.e.trackFailed(p.gen, p.curE, err)
	}
	ended := p.curE
	p.cur.close()
	p.cur = nil
	p.e.mu.Lock()
	next := p.e.successorLocked(ended, err == nil)
	p.e.mu.Unlock()
	if next == nil {
		p.send(ctx, &chunk{gen: p.gen, e: ended, end: true, finished: err == nil, last: true})
		return
	}
	if !p.send(ctx, &chunk{gen: p.gen, e: ended, end: true, finished: err == nil}) {
		return
	}
	p.begin(ctx, next, 0, true, true)
}

func (p *producer) durMs() int64 {
	if p.curE.t.Info != nil && p.curE.t.Info.DurationMs > 0 {
		return p.curE.t.Info.DurationMs
	}
	if p.cur.total > 0 {
		return p.cur.total * 1000 / int64(p.cur.outRate)
	}
	return 0
}

// maybePrepare opens the next track once the current one is close to its end.
func (p *producer) maybePrepare() {
	if p.prep != nil || p.cur.total < 0 || p.cur.total-p.cur.pos > int64(primeAhead*p.cur.outRate) {
		return
	}
	p.e.mu.Lock()
	next := p.e.successorLocked(p.curE, true)
	p.e.mu.Unlock()
	if next != nil {
		p.prep = p.e.prepare(next)
	}
}

// begin opens en at ms. A track that fails to open is reported and skipped,
// as is each following one, until one opens or every track in the queue
// failed in a row (then playback stops at the end of the queue).
func (p *producer) begin(ctx context.Context, en *entry, ms int64, newTrack, useprep bool) {
	p.e.mu.Lock()
	limit := max(len(p.e.queue), 1)
	p.e.mu.Unlock()
	for failures := 0; en != nil; failures++ {
		tr, err := p.open(en, ms, useprep)
		if err == nil {
			p.cur, p.curE, p.first = tr, en, newTrack
			return
		}
		p.e.trackFailed(p.gen, en, err)
		if failures+1 >= limit || ctx.Err() != nil {
			en = nil
			break
		}
		p.e.mu.Lock()
		stale := p.e.tgt.gen != p.gen
		en = p.e.successorLocked(en, false)
		p.e.mu.Unlock()
		if stale {
			return
		}
		ms, newTrack = 0, true
	}
	p.send(ctx, &chunk{gen: p.gen, end: true, last: true})
}

func (p *producer) open(en *entry, ms int64, useprep bool) (*track, error) {
	prep := p.prep
	p.prep = nil
	if prep != nil && prep.e == en && useprep && ms == 0 {
		<-prep.done
		return prep.tr, prep.err
	}
	prep.discard()
	tr, err := openTrack(en.t, p.e.cfg)
	if err != nil {
		return nil, err
	}
	if ms > 0 {
		if err := tr.seek(ms); err != nil {
			tr.close()
			return nil, fmt.Errorf("seek to %d ms: %w", ms, err)
		}
	}
	return tr, nil
}

// send hands c to the output side. It gives up (false) when the target
// changed meanwhile, making c stale, or ctx ended.
func (p *producer) send(ctx context.Context, c *chunk) bool {
	for {
		select {
		case p.e.chunks <- c:
			return true
		case <-p.e.wakeProd:
			if p.e.gen.Load() != p.gen {
				// Leave the wake-up for the main loop to see the new target.
				select {
				case p.e.wakeProd <- struct{}{}:
				default:
				}
				return false
			}
		case <-ctx.Done():
			return false
		}
	}
}

// trackFailed reports that en could not be played.
func (e *Engine) trackFailed(gen uint64, en *entry, err error) {
	e.log.Debug("skipping track", "path", en.t.Path, "err", err)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tgt.gen != gen {
		return
	}
	e.postLocked(Event{Type: EventError, Track: en.t, Index: indexOf(e.queue, en),
		Err: fmt.Errorf("%s: %w", en.t.Path, err)})
}
