package player

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"
)

// handOutput hands the engine's Source to the test, which takes the audio
// itself: an edit then lands at an exact point of what was heard, and the
// samples heard are exactly what an output would have played.
type handOutput struct{ src chan Source }

func (o *handOutput) Play(ctx context.Context, src Source) error {
	o.src <- src
	<-ctx.Done()
	return nil
}

// handRig runs an engine into a handOutput.
type handRig struct {
	t     *testing.T
	e     *Engine
	src   Source
	heard []float32 // interleaved stereo, as the output got it

	mu  gosync.Mutex
	evs []Event
}

// newHandRig queues tracks, lets setup set modes, and runs the engine; the
// test starts playback.
func newHandRig(t *testing.T, opts Options, tracks []Track, setup func(*Engine)) *handRig {
	t.Helper()
	out := &handOutput{src: make(chan Source)}
	e := New(out, opts)
	e.SetQueue(tracks)
	if setup != nil {
		setup(e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	r := &handRig{t: t, e: e, src: <-out.src}
	go func() {
		for {
			select {
			case ev := <-e.Events():
				r.mu.Lock()
				r.evs = append(r.evs, ev)
				r.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// pull takes up to frames frames of audio, fewer when playback stops.
func (r *handRig) pull(frames int) {
	r.t.Helper()
	buf := make([]float32, 2048)
	deadline := time.Now().Add(20 * time.Second)
	for want := len(r.heard) + 2*frames; len(r.heard) < want; {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		n, err := r.src.ReadWait(ctx, buf[:min(len(buf), want-len(r.heard))])
		cancel()
		r.heard = append(r.heard, buf[:n]...)
		if err == nil {
			continue
		}
		if r.e.Status().State == StateStopped {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no audio for 20 s (state %v)", r.e.Status().State)
		}
	}
}

// rest takes everything until playback stops.
func (r *handRig) rest() { r.pull(1 << 30) }

// pullUntil takes audio a little at a time until cond holds.
func (r *handRig) pullUntil(what string, cond func() bool) {
	r.t.Helper()
	for !cond() {
		if r.e.Status().State == StateStopped {
			r.t.Fatalf("playback stopped before %s", what)
		}
		r.pull(256)
	}
}

// toTrackEnd takes the audio of the track being heard (frames long) up to
// its last left frames, then waits, taking nothing more, until the
// producer has decoded to its end and found what follows, as far as the
// chunk channel to the output lets it.
func (r *handRig) toTrackEnd(frames, left int) {
	r.t.Helper()
	r.pull(frames - len(r.heard)/2%frames - left)
	deadline := time.Now().Add(10 * time.Second)
	for !r.producerCrossed() {
		if time.Now().After(deadline) {
			r.t.Fatal("the producer did not decode past the track's end")
		}
		time.Sleep(time.Millisecond)
	}
}

// How close to the end of a track toTrackEnd stops the output: two chunks
// before it, the producer has room to decode well into the next track; 8½
// chunks before it, the channel is full of the track's own audio and the
// producer waits to send its end.
const (
	nearEnd    = 2 * chunkFrames
	endWaiting = chunksAhead*chunkFrames + chunkFrames/2
)

// producerCrossed: the producer decoded the end of the track being heard
// and went on into the next until the channel to the output is full, or
// found nothing after it; all of that waits for the output.
func (r *handRig) producerCrossed() bool {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	if r.e.heard == nil || len(r.e.ahead) == 0 || r.e.ahead[0].e != r.e.heard {
		return false
	}
	return len(r.e.ahead) >= 2 && len(r.e.chunks) == cap(r.e.chunks) || r.e.ahead[0].last
}

func (r *handRig) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

// started lists the IDs of the tracks whose start was reported.
func (r *handRig) started() []string {
	var ids []string
	for _, ev := range ofType(r.events(), EventTrackStart) {
		ids = append(ids, ev.Track.ID)
	}
	return ids
}

// solos renders each track alone through the same path.
func solos(t *testing.T, tracks []Track) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, tr := range tracks {
		r := newHandRig(t, Options{}, []Track{tr}, nil)
		r.e.Play(0)
		r.rest()
		out[tr.ID] = r.heard
	}
	return out
}

// wantHeard checks that the output got exactly the given tracks' samples
// back to back: nothing missing, nothing inserted, nothing else heard.
func wantHeard(t *testing.T, heard []float32, solo map[string][]float32, ids ...string) {
	t.Helper()
	var want []float32
	var bounds []string
	for _, id := range ids {
		bounds = append(bounds, fmt.Sprintf("%s at frame %d", id, len(want)/2))
		want = append(want, solo[id]...)
	}
	if len(heard) != len(want) {
		t.Errorf("heard %d frames, want %d (%v)", len(heard)/2, len(want)/2, bounds)
	}
	for i := range min(len(heard), len(want)) {
		if heard[i] != want[i] {
			t.Fatalf("frame %d differs: %v, want %v (%v)", i/2, heard[i], want[i], bounds)
		}
	}
}

// wantStarts checks the track starts reported, and that each track heard
// to its end reported that end, in order.
func wantStarts(t *testing.T, r *handRig, ids ...string) {
	t.Helper()
	if got := r.started(); !slices.Equal(got, ids) {
		t.Errorf("tracks started %v, want %v", got, ids)
	}
	var ended []string
	for _, ev := range ofType(r.events(), EventTrackEnd) {
		if ev.Finished {
			ended = append(ended, ev.Track.ID)
		}
	}
	if !slices.Equal(ended, ids) {
		t.Errorf("tracks that ended %v, want %v", ended, ids)
	}
}

// editTracks are five one-second tones, each its own pitch, IDs a to e,
// and x, y to add.
func editTracks(t *testing.T) ([]Track, map[string][]float32) {
	t.Helper()
	dir := t.TempDir()
	var ts []Track
	for i, id := range []string{"a", "b", "c", "d", "e", "x", "y"} {
		path := makeAudio(t, dir, "flac", fmt.Sprintf("sine=frequency=%d", 300+70*i), 44100, 1000)
		ts = append(ts, Track{Path: path, ID: id})
	}
	return ts, solos(t, ts)
}

func byID(ts []Track, ids ...string) []Track {
	var out []Track
	for _, id := range ids {
		i := slices.IndexFunc(ts, func(t Track) bool { return t.ID == id })
		out = append(out, ts[i])
	}
	return out
}

// The two moments an edit can come: while the producer still decodes the
// track being heard (with tracks this short it prepared the next one at
// once), and once it has decoded past its end into the old successor,
// whose first chunks already wait for the output.
var editMoments = []struct {
	name  string
	reach func(r *handRig)
}{
	{"early", func(r *handRig) {
		r.pull(1000)
		if r.producerCrossed() {
			r.t.Fatal("the producer is already past the first track")
		}
	}},
	{"after the producer crossed", func(r *handRig) { r.toTrackEnd(trackFrames, nearEnd) }},
	{"with the track's end waiting to be sent", func(r *handRig) { r.toTrackEnd(trackFrames, endWaiting) }},
}

// trackFrames is the length of each of editTracks.
const trackFrames = 44100

// A track inserted to play next is heard right after the current one, which
// plays on untouched: exactly the samples of each, back to back.
func TestInsertNextWhilePlaying(t *testing.T) {
	ts, solo := editTracks(t)
	for _, m := range editMoments {
		t.Run(m.name, func(t *testing.T) {
			r := newHandRig(t, Options{}, byID(ts, "a", "b"), nil)
			r.e.Play(0)
			m.reach(r)
			if at := r.e.InsertNext(byID(ts, "x")...); at != 1 {
				t.Errorf("InsertNext put x at %d, want 1", at)
			}
			r.rest()
			wantHeard(t, r.heard, solo, "a", "x", "b")
			wantStarts(t, r, "a", "x", "b")
			if idx := indexes(ofType(r.events(), EventTrackStart)); !slices.Equal(idx, []int{0, 1, 2}) {
				t.Errorf("start indexes %v, want 0 1 2", idx)
			}
		})
	}
}

func indexes(evs []Event) []int {
	var out []int
	for _, ev := range evs {
		out = append(out, ev.Index)
	}
	return out
}

// The next track removed while the current one plays is never heard, even
// once the producer prepared it and decoded its start.
func TestRemoveNextWhilePlaying(t *testing.T) {
	ts, solo := editTracks(t)
	for _, m := range editMoments {
		t.Run(m.name, func(t *testing.T) {
			r := newHandRig(t, Options{}, byID(ts, "a", "b", "c"), nil)
			r.e.Play(0)
			m.reach(r)
			if err := r.e.Remove(1); err != nil {
				t.Fatal(err)
			}
			r.rest()
			wantHeard(t, r.heard, solo, "a", "c")
			wantStarts(t, r, "a", "c")
		})
	}
}

// Moving entries reorders what follows; moving the current track itself
// keeps it playing.
func TestMoveWhilePlaying(t *testing.T) {
	ts, solo := editTracks(t)
	for _, m := range editMoments {
		t.Run(m.name, func(t *testing.T) {
			r := newHandRig(t, Options{}, byID(ts, "a", "b", "c"), nil)
			r.e.Play(0)
			m.reach(r)
			if err := r.e.Move(2, 1); err != nil {
				t.Fatal(err)
			}
			r.rest()
			wantHeard(t, r.heard, solo, "a", "c", "b")
			wantStarts(t, r, "a", "c", "b")
		})
		t.Run(m.name+", the current track to the end", func(t *testing.T) {
			r := newHandRig(t, Options{}, byID(ts, "a", "b", "c"), nil)
			r.e.Play(0)
			m.reach(r)
			if err := r.e.Move(0, 2); err != nil {
				t.Fatal(err)
			}
			if st := r.e.Status(); st.Index != 2 || st.Track.ID != "a" {
				t.Errorf("after the move: index %d, track %q; want 2, a", st.Index, st.Track.ID)
			}
			r.rest() // a is now last: nothing follows it
			wantHeard(t, r.heard, solo, "a")
			wantStarts(t, r, "a")
		})
	}
}

// Appending while the last track plays, after the producer decoded its end
// (and so told the output the queue was over), plays the new track after
// it without a gap.
func TestAppendAfterTheLastTrackWasDecoded(t *testing.T) {
	ts, solo := editTracks(t)
	for _, m := range editMoments[1:] {
		t.Run(m.name, func(t *testing.T) {
			r := newHandRig(t, Options{}, byID(ts, "a"), nil)
			r.e.Play(0)
			m.reach(r)
			if err := r.e.Insert(1, byID(ts, "x")...); err != nil {
				t.Fatal(err)
			}
			r.rest()
			wantHeard(t, r.heard, solo, "a", "x")
			wantStarts(t, r, "a", "x")
		})
	}
}

// Removing the current track while it plays is Next: the following track
// starts at once from its beginning.
func TestRemoveCurrentWhilePlaying(t *testing.T) {
	ts, solo := editTracks(t)
	r := newHandRig(t, Options{}, byID(ts, "a", "b", "c"), nil)
	r.e.Play(0)
	r.pull(10000)
	if err := r.e.Remove(0); err != nil {
		t.Fatal(err)
	}
	cut := len(r.heard)
	r.rest()
	part := map[string][]float32{"a…": solo["a"][:cut], "b": solo["b"], "c": solo["c"]}
	wantHeard(t, r.heard, part, "a…", "b", "c")
	ends := ofType(r.events(), EventTrackEnd)
	if len(ends) == 0 || ends[0].Track.ID != "a" || ends[0].Finished {
		t.Errorf("first track end %+v, want a unfinished", ends)
	}
	if idx := indexes(ofType(r.events(), EventTrackStart)); !slices.Equal(idx, []int{0, 0, 1}) {
		t.Errorf("start indexes %v, want 0 (a), 0 (b once a is gone), 1", idx)
	}
}

// Removing the current track while paused or stopped makes the following
// one current, in the same state; removing the last one stops.
func TestRemoveCurrentPausedOrStopped(t *testing.T) {
	ts, solo := editTracks(t)
	t.Run("paused", func(t *testing.T) {
		r := newHandRig(t, Options{}, byID(ts, "a", "b"), nil)
		r.e.Play(0)
		r.pull(5000)
		r.e.Pause()
		if err := r.e.Remove(0); err != nil {
			t.Fatal(err)
		}
		if st := r.e.Status(); st.State != StatePaused || st.Track.ID != "b" || st.Index != 0 || st.PositionMs != 0 {
			t.Errorf("after removing the paused track: %+v", st)
		}
		cut := len(r.heard)
		r.e.Resume()
		r.rest()
		wantHeard(t, r.heard, map[string][]float32{"a…": solo["a"][:cut], "b": solo["b"]}, "a…", "b")
	})
	t.Run("stopped", func(t *testing.T) {
		e := New(&Null{}, Options{})
		e.SetQueue(byID(ts, "a", "b", "c"))
		e.Next() // b current, stopped
		if err := e.Remove(1); err != nil {
			t.Fatal(err)
		}
		if st := e.Status(); st.State != StateStopped || st.Track.ID != "c" || st.Index != 1 {
			t.Errorf("after removing the stopped current track: %+v", st)
		}
		e.Remove(1) // c, the last: back to the first, as Next at the end
		if st := e.Status(); st.Track.ID != "a" || st.Index != 0 {
			t.Errorf("after removing the last track: %+v", st)
		}
		e.Remove(0)
		if st := e.Status(); st.Index != -1 || len(e.Queue()) != 0 {
			t.Errorf("after emptying the queue: %+v", st)
		}
	})
	t.Run("the last while playing", func(t *testing.T) {
		r := newHandRig(t, Options{}, byID(ts, "a", "b"), nil)
		r.e.Play(1)
		r.pull(5000)
		if err := r.e.Remove(1); err != nil {
			t.Fatal(err)
		}
		if st := r.e.Status(); st.State != StateStopped || st.Track.ID != "a" {
			t.Errorf("after removing the last track as it played: %+v", st)
		}
	})
}

// With shuffle, a track inserted to play next still comes right after the
// current one, and a removed one is never heard; every other track plays
// once, with no gap.
func TestEditsUnderShuffle(t *testing.T) {
	ts, solo := editTracks(t)
	for _, m := range editMoments {
		t.Run("insert next, "+m.name, func(t *testing.T) {
			r := newHandRig(t, Options{Seed: 3}, byID(ts, "a", "b", "c", "d", "e"), func(e *Engine) { e.SetShuffle(true) })
			r.e.Play(0)
			m.reach(r)
			if at := r.e.InsertNext(byID(ts, "x")...); at != 1 {
				t.Errorf("InsertNext put x at queue index %d, want 1", at)
			}
			r.rest()
			got := r.started()
			if len(got) < 2 || got[1] != "x" {
				t.Fatalf("started %v: x does not follow the current track", got)
			}
			if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, []string{"a", "b", "c", "d", "e", "x"}) {
				t.Errorf("started %v, want each track once", got)
			}
			wantHeard(t, r.heard, solo, got...)
			wantStarts(t, r, got...)
		})
		t.Run("remove next, "+m.name, func(t *testing.T) {
			r := newHandRig(t, Options{Seed: 3}, byID(ts, "a", "b", "c", "d", "e"), func(e *Engine) { e.SetShuffle(true) })
			r.e.Play(0)
			m.reach(r)
			r.e.mu.Lock()
			next := r.e.order[indexOf(r.e.order, r.e.cursor)+1].t.ID
			r.e.mu.Unlock()
			i := slices.IndexFunc(r.e.Queue(), func(t Track) bool { return t.ID == next })
			if err := r.e.Remove(i); err != nil {
				t.Fatal(err)
			}
			r.rest()
			got := r.started()
			if slices.Contains(got, next) || len(got) != 4 {
				t.Errorf("started %v after removing %s, want the four others", got, next)
			}
			wantHeard(t, r.heard, solo, got...)
		})
	}
}

// Repeat modes decide what follows too: turning repeat-one off once the
// producer decoded the replay plays the next track instead; removing the
// track repeat-all wrapped to replays the only one left.
func TestEditsWithRepeat(t *testing.T) {
	ts, solo := editTracks(t)
	t.Run("repeat one turned off", func(t *testing.T) {
		r := newHandRig(t, Options{}, byID(ts, "a", "b"), func(e *Engine) { e.SetRepeat(RepeatOne) })
		r.e.Play(0)
		r.toTrackEnd(trackFrames, nearEnd) // into the replay
		r.e.SetRepeat(RepeatOff)
		r.rest()
		wantHeard(t, r.heard, solo, "a", "b")
		wantStarts(t, r, "a", "b")
	})
	t.Run("repeat all, wrapped track removed", func(t *testing.T) {
		r := newHandRig(t, Options{}, byID(ts, "a", "b"), func(e *Engine) { e.SetRepeat(RepeatAll) })
		r.e.Play(1)
		r.toTrackEnd(trackFrames, nearEnd) // into a, repeat-all's wrap
		if err := r.e.Remove(0); err != nil {
			t.Fatal(err)
		}
		r.pullUntil("b again", func() bool { return len(r.started()) == 2 })
		r.e.SetRepeat(RepeatOff)
		r.rest()
		wantHeard(t, r.heard, solo, "b", "b")
		wantStarts(t, r, "b", "b")
	})
}

// Paced like a sound card, the output finds the inserted track's first
// samples ready the moment the current track's last ones are played: the
// splice leaves no gap for a real device either.
func TestSpliceReadyInTime(t *testing.T) {
	ts, solo := editTracks(t)
	r := newHandRig(t, Options{}, byID(ts, "a", "b"), nil)
	r.e.Play(0)
	r.toTrackEnd(trackFrames, nearEnd)
	r.e.InsertNext(byID(ts, "x")...)
	left := (len(solo["a"]) - len(r.heard)) / 2
	for left > 0 {
		n := min(left, 1024)
		r.pull(n)
		left -= n
		time.Sleep(time.Duration(n) * time.Second / 44100)
	}
	buf := make([]float32, 256)
	n := r.src.Read(buf)
	if n == 0 {
		t.Fatal("nothing to play when the current track ended: a gap")
	}
	if !slices.Equal(buf[:n], solo["x"][:n]) {
		t.Errorf("the first samples after the current track are not x's")
	}
}

func TestEditErrors(t *testing.T) {
	ts, _ := editTracks(t)
	e := New(&Null{}, Options{})
	e.SetQueue(byID(ts, "a", "b"))
	for name, err := range map[string]error{
		"insert at -1": e.Insert(-1, ts[0]),
		"insert at 3":  e.Insert(3, ts[0]),
		"remove -1":    e.Remove(-1),
		"remove 2":     e.Remove(2),
		"move 2 to 0":  e.Move(2, 0),
		"move 0 to 2":  e.Move(0, 2),
		"move -1 to 0": e.Move(-1, 0),
	} {
		if !errors.Is(err, ErrNoTrack) {
			t.Errorf("%s: %v, want ErrNoTrack", name, err)
		}
	}
	if q := e.Queue(); len(q) != 2 || q[0].ID != "a" || q[1].ID != "b" {
		t.Errorf("queue after refused edits: %v", q)
	}
	// Into an empty queue: the first track added becomes current.
	e.SetQueue(nil)
	if at := e.InsertNext(byID(ts, "x", "y")...); at != 0 {
		t.Errorf("InsertNext into an empty queue at %d", at)
	}
	if st := e.Status(); st.Index != 0 || st.Track.ID != "x" {
		t.Errorf("after adding to an empty queue: %+v", st)
	}
	e.Append(byID(ts, "a")...)
	e.Move(2, 0)
	ids := []string{}
	for _, tr := range e.Queue() {
		ids = append(ids, tr.ID)
	}
	if !slices.Equal(ids, []string{"a", "x", "y"}) {
		t.Errorf("queue %v, want a x y", ids)
	}
}
