package player

import (
	"fmt"
	"slices"
)

// Editing the queue while it plays. The producer decodes ahead of the
// output, across track ends, so by the time the listener edits the queue
// the audio of the old successor may already wait in the chunk channel.
// An edit never touches the track being heard; if it changes what follows
// (the successor of a track decoded ahead, or that there is none), the
// engine splices: the chunks up to the end of the track being heard stay
// good, everything decoded after it is dropped, and the producer starts
// again from that track's new successor. The output hears one track end
// and the new one begin, without a gap as long as the producer opens it
// before the old track's buffered audio runs out.

// decoding is one play of an entry by the producer, named by an id its
// chunks carry; it belongs to the current generation or, for the first in
// Engine.ahead, to the one a splice keeps.
type decoding struct {
	id  uint64
	gen uint64
	e   *entry
	// skipped: it failed; the producer went on as after a skip (repeat-one
	// does not replay it).
	skipped bool
	// last: the producer found nothing after it and stopped decoding.
	last bool
}

// splicePoint keeps the chunks of generation gen up to the end of play id
// audible after the generation changed.
type splicePoint struct {
	gen, play uint64
}

// Insert puts tracks at queue position at (0 to the queue's length, which
// appends) without interrupting what plays. With shuffle each one also
// goes at a random place after the current track in the play order; use
// InsertNext to have them play next.
func (e *Engine) Insert(at int, tracks ...Track) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if at < 0 || at > len(e.queue) {
		return fmt.Errorf("insert at %d of %d: %w", at, len(e.queue), ErrNoTrack)
	}
	e.insertLocked(at, tracks, false)
	return nil
}

// InsertNext puts tracks right after the current track, in the queue and
// in the play order (shuffled or not), and returns the queue position of
// the first. What plays goes on; they follow it.
func (e *Engine) InsertNext(tracks ...Track) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	at := indexOf(e.queue, e.cursor) + 1
	e.insertLocked(at, tracks, true)
	return at
}

// Remove takes queue entry i out. Removing the current track moves on as
// Next does: the following track starts if the engine plays (or is made
// current, paused or stopped); at the end of the queue with repeat off
// playback stops. Any other removal leaves what plays alone.
func (e *Engine) Remove(i int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i < 0 || i >= len(e.queue) {
		return fmt.Errorf("remove %d of %d: %w", i, len(e.queue), ErrNoTrack)
	}
	en := e.queue[i]
	if en == e.cursor {
		e.leaveLocked(en)
	}
	e.queue = slices.Delete(e.queue, i, i+1)
	if j := indexOf(e.order, en); j >= 0 {
		e.order = slices.Delete(e.order, j, j+1)
	}
	if e.cursor == en {
		e.cursor = nil
		if len(e.order) > 0 {
			e.cursor = e.order[0]
		}
	}
	e.followEditLocked()
	return nil
}

// Move moves queue entry from to position to (its index afterwards). The
// shuffled play order, when shuffling, is kept; what plays goes on.
func (e *Engine) Move(from, to int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if from < 0 || from >= len(e.queue) || to < 0 || to >= len(e.queue) {
		return fmt.Errorf("move %d to %d of %d: %w", from, to, len(e.queue), ErrNoTrack)
	}
	if from == to {
		return nil
	}
	en := e.queue[from]
	e.queue = slices.Insert(slices.Delete(e.queue, from, from+1), to, en)
	if !e.shuffle {
		e.order = append(e.order[:0:0], e.queue...)
	}
	e.followEditLocked()
	return nil
}

// insertLocked puts tracks at queue position at. In the play order they go
// in the same place without shuffle; with it, right after the current track
// (next) or each at a random place after it.
func (e *Engine) insertLocked(at int, tracks []Track, next bool) {
	if len(tracks) == 0 {
		return
	}
	ens := make([]*entry, len(tracks))
	for i, t := range tracks {
		ens[i] = &entry{t: t}
	}
	e.queue = slices.Insert(e.queue, at, ens...)
	lo := indexOf(e.order, e.cursor) + 1
	switch {
	case !e.shuffle:
		e.order = append(e.order[:0:0], e.queue...)
	case next:
		e.order = slices.Insert(e.order, lo, ens...)
	default:
		for _, en := range ens {
			e.order = slices.Insert(e.order, lo+e.rng.IntN(len(e.order)-lo+1), en)
		}
	}
	if e.cursor == nil {
		e.cursor = e.order[0]
	}
	e.followEditLocked()
}

// leaveLocked moves off en, the current track, before it is removed.
func (e *Engine) leaveLocked(en *entry) {
	next := e.successorLocked(en, false)
	if next == nil || next == en {
		e.stopLocked()
		return
	}
	e.moveLocked(next)
}

// followEditLocked runs after anything that may change which track follows
// which (an edit, shuffle, repeat). If what the producer decoded ahead no
// longer follows the track being heard, or it stopped at what was the end
// of the queue and is no longer, it splices. The producer also re-checks
// the track it prepared.
func (e *Engine) followEditLocked() {
	e.reorders.Add(1)
	for i, pl := range e.ahead {
		next := e.successorLocked(pl.e, !pl.skipped)
		if i+1 < len(e.ahead) && next != e.ahead[i+1].e || i+1 == len(e.ahead) && pl.last && next != nil {
			e.spliceLocked()
			return
		}
	}
}

// spliceLocked keeps the audio up to the end of the play the output is on
// (ahead[0]) and has the producer decode what follows it now, in a new
// generation: chunks of the old one after that play are dropped unheard.
func (e *Engine) spliceLocked() {
	head := &e.ahead[0]
	next := e.successorLocked(head.e, !head.skipped)
	head.last = next == nil
	e.ahead = e.ahead[:1]
	e.splice.Store(&splicePoint{gen: head.gen, play: head.id})
	e.setTargetLocked(target{e: next, splice: true})
}

// startPlayLocked records that the producer begins decoding en in
// generation gen, and returns the play's id.
func (e *Engine) startPlayLocked(en *entry) uint64 {
	e.lastID++
	e.ahead = append(e.ahead, decoding{id: e.lastID, gen: e.tgt.gen, e: en})
	return e.lastID
}

// advanceLocked is the producer at the end of play id of en (failed: it
// could not be played): the track that follows, with its new play id, or
// nil when nothing follows or gen is no longer current.
func (e *Engine) advanceLocked(gen, id uint64, en *entry, failed bool) (*entry, uint64) {
	if gen != e.tgt.gen {
		return nil, 0
	}
	i := slices.IndexFunc(e.ahead, func(pl decoding) bool { return pl.id == id })
	next := e.successorLocked(en, !failed)
	if i >= 0 {
		e.ahead[i].skipped = failed
		e.ahead[i].last = next == nil
	}
	if next == nil {
		return nil, 0
	}
	return next, e.startPlayLocked(next)
}

// markLastLocked records that the producer gave up after play id.
func (e *Engine) markLastLocked(gen, id uint64) {
	if gen != e.tgt.gen {
		return
	}
	if i := slices.IndexFunc(e.ahead, func(pl decoding) bool { return pl.id == id }); i >= 0 {
		e.ahead[i].skipped, e.ahead[i].last = true, true
	}
}

// live reports whether chunk c is still to be heard: it belongs to the
// current generation, or to a play a splice kept.
func (e *Engine) live(c *chunk) bool {
	if c.gen == e.gen.Load() {
		return true
	}
	sp := e.splice.Load()
	return sp != nil && c.gen == sp.gen && c.play <= sp.play
}

// heardLocked drops the plays before id from ahead: the output reached it.
func (e *Engine) heardLocked(id uint64) {
	if i := slices.IndexFunc(e.ahead, func(pl decoding) bool { return pl.id == id }); i > 0 {
		e.ahead = slices.Delete(e.ahead, 0, i)
	}
}
