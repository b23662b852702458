package player

import (
	"context"
	"fmt"
	gosync "sync"
)

// chunk is a piece of decoded audio on its way to the output, or a marker.
type chunk struct {
	gen      uint64
	play     uint64 // which decoding of e (see Engine.ahead)
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
	play  uint64 // the play id of cur
	first bool
	prep  *prepared
	// checked is e.reorders+1 when the successor of cur was last looked
	// up for prep (0: not yet for this track).
	checked uint64
	buf     [][2]float64
}

// produce decodes the target into e.chunks until ctx ends.
func (e *Engine) produce(ctx context.Context) {
	p := &producer{e: e, buf: make([][2]float64, chunkFrames)}
	defer p.reset(false)
	for ctx.Err() == nil {
		e.mu.Lock()
		t := e.tgt
		var id uint64
		if t.gen != p.gen && t.e != nil {
			id = e.startPlayLocked(t.e)
		}
		e.mu.Unlock()
		if t.gen != p.gen {
			// A splice to the track already prepared keeps it: it then
			// follows without the wait of opening it.
			keep := t.splice && p.prep != nil && p.prep.e == t.e
			p.reset(keep)
			p.gen = t.gen
			switch {
			case t.e != nil:
				p.begin(ctx, id, t.e, t.ms, !t.seek, keep)
			case t.splice: // nothing follows the track being heard any more
				p.send(ctx, &chunk{gen: p.gen, end: true, last: true})
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

// reset drops the track being decoded and, unless keepPrep, the one
// prepared.
func (p *producer) reset(keepPrep bool) {
	if p.cur != nil {
		p.cur.close()
	}
	p.cur, p.curE = nil, nil
	if !keepPrep {
		p.prep.discard()
		p.prep = nil
	}
}

// step decodes and sends one chunk, handling the end of the track.
func (p *producer) step(ctx context.Context) {
	n, ok, err := p.cur.read(p.buf)
	if n > 0 {
		c := getChunk()
		c.gen, c.play, c.e, c.first = p.gen, p.play, p.curE, p.first
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
	ended, endedID := p.curE, p.play
	p.cur.close()
	p.cur = nil
	p.e.mu.Lock()
	next, id := p.e.advanceLocked(p.gen, endedID, ended, err != nil)
	p.e.mu.Unlock()
	end := &chunk{gen: p.gen, play: endedID, e: ended, end: true, finished: err == nil, last: next == nil}
	if !p.send(ctx, end) || next == nil {
		return
	}
	p.begin(ctx, id, next, 0, true, true)
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

// maybePrepare opens the next track once the current one is close to its
// end, and opens another instead if an edit changed which one that is.
func (p *producer) maybePrepare() {
	if p.cur.total < 0 || p.cur.total-p.cur.pos > int64(primeAhead*p.cur.outRate) {
		return
	}
	seen := p.e.reorders.Load() + 1
	if p.checked == seen {
		return
	}
	p.checked = seen
	p.e.mu.Lock()
	next := p.e.successorLocked(p.curE, true)
	p.e.mu.Unlock()
	if p.prep != nil && p.prep.e == next {
		return
	}
	p.prep.discard()
	p.prep = nil
	if next != nil {
		p.prep = p.e.prepare(next)
	}
}

// begin opens en (play id) at ms. A track that fails to open is reported
// and skipped, as is each following one, until one opens or every track in
// the queue failed in a row (then playback stops at the end of the queue).
func (p *producer) begin(ctx context.Context, id uint64, en *entry, ms int64, newTrack, useprep bool) {
	p.e.mu.Lock()
	limit := max(len(p.e.queue), 1)
	p.e.mu.Unlock()
	for failures := 0; en != nil; failures++ {
		tr, err := p.open(en, ms, useprep)
		if err == nil {
			p.cur, p.curE, p.play, p.first, p.checked = tr, en, id, newTrack, 0
			return
		}
		p.e.trackFailed(p.gen, en, err)
		p.e.mu.Lock()
		stale := p.e.tgt.gen != p.gen
		if failures+1 >= limit || ctx.Err() != nil {
			p.e.markLastLocked(p.gen, id)
			en = nil
		} else {
			en, id = p.e.advanceLocked(p.gen, id, en, true)
		}
		p.e.mu.Unlock()
		if stale {
			return
		}
		ms, newTrack = 0, true
	}
	p.send(ctx, &chunk{gen: p.gen, play: id, end: true, last: true})
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
// changed meanwhile, making c stale, or ctx ended. A chunk a splice keeps
// (the end of the track being heard) is still sent.
func (p *producer) send(ctx context.Context, c *chunk) bool {
	for {
		select {
		case p.e.chunks <- c:
			return true
		case <-p.e.wakeProd:
			if !p.e.live(c) {
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
