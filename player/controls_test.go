package player

import (
	"context"
	"slices"
	"testing"
	"time"
)

// runWith runs e, calling on for each event until it returns true or the
// engine stops; it returns the events seen.
func runWith(t *testing.T, e *Engine, on func(Event) bool) []Event {
	t.Helper()
	return runFor(t, e, 30*time.Second, on)
}

func startIndexes(evs []Event) []int {
	var idx []int
	for _, ev := range ofType(evs, EventTrackStart) {
		idx = append(idx, ev.Index)
	}
	return idx
}

func shortQueue(t *testing.T, n int) []Track {
	dir := t.TempDir()
	var ts []Track
	for i := range n {
		ts = append(ts, Track{Path: makeAudio(t, dir, "flac", "sine=frequency="+[]string{"300", "400", "500", "600", "700"}[i], 44100, 200), ID: string(rune('a' + i))})
	}
	return ts
}

func TestRepeatAndShuffle(t *testing.T) {
	tracks := shortQueue(t, 5)
	t.Run("repeat one", func(t *testing.T) {
		e := New(&Pipe{Path: emptyFile(t)}, Options{})
		e.SetQueue(tracks)
		e.SetRepeat(RepeatOne)
		e.Play(2)
		var starts []int
		evs := runWith(t, e, func(ev Event) bool {
			if ev.Type == EventTrackStart {
				starts = append(starts, ev.Index)
			}
			return len(starts) == 3
		})
		if !slices.Equal(starts, []int{2, 2, 2}) {
			t.Errorf("starts %v, want 2 2 2", starts)
		}
		if ends := ofType(evs, EventTrackEnd); len(ends) != 2 || !ends[0].Finished || !ends[1].Finished {
			t.Errorf("ends %+v, want two finished", ends)
		}
	})
	t.Run("repeat all wraps", func(t *testing.T) {
		e := New(&Pipe{Path: emptyFile(t)}, Options{})
		e.SetQueue(tracks)
		e.SetRepeat(RepeatAll)
		e.Play(3)
		var starts []int
		runWith(t, e, func(ev Event) bool {
			if ev.Type == EventTrackStart {
				starts = append(starts, ev.Index)
			}
			return len(starts) == 7
		})
		if want := []int{3, 4, 0, 1, 2, 3, 4}; !slices.Equal(starts, want) {
			t.Errorf("starts %v, want %v", starts, want)
		}
	})
	t.Run("shuffle", func(t *testing.T) {
		e := New(&Pipe{Path: emptyFile(t)}, Options{Seed: 7})
		e.SetQueue(tracks)
		e.SetShuffle(true)
		e.Play(0)
		got := startIndexes(runWith(t, e, func(Event) bool { return false }))
		sorted := slices.Sorted(slices.Values(got))
		if !slices.Equal(sorted, []int{0, 1, 2, 3, 4}) || got[0] != 0 {
			t.Errorf("shuffled starts %v: want every track once, 0 first", got)
		}
		if slices.Equal(got, []int{0, 1, 2, 3, 4}) {
			t.Errorf("shuffle played in queue order")
		}
	})
}

func TestNextPreviousWhilePlaying(t *testing.T) {
	tracks := shortQueue(t, 3)
	// Paced in real time: the first track must still be playing when the
	// event that triggers Next arrives (unpaced, it can end first).
	e := New(&Pipe{Path: emptyFile(t), Realtime: true}, Options{})
	e.SetQueue(tracks)
	e.Play(0)
	skipped := false
	evs := runWith(t, e, func(ev Event) bool {
		if ev.Type == EventTrackStart && ev.Index == 0 && !skipped {
			skipped = true
			e.Next()
		}
		return false
	})
	if got := startIndexes(evs); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("starts %v, want 0 1 2", got)
	}
	ends := ofType(evs, EventTrackEnd)
	if len(ends) != 3 || ends[0].Index != 0 || ends[0].Finished || !ends[1].Finished {
		t.Errorf("ends %+v: want 0 unfinished, then 1 and 2 finished", ends)
	}
}

func TestControlsWhileStopped(t *testing.T) {
	e := New(&Null{}, Options{})
	e.SetQueue(shortQueue(t, 3))
	if err := e.SeekMs(10); err == nil {
		t.Error("seek while stopped: no error")
	}
	e.Next()
	e.Next()
	if st := e.Status(); st.Index != 2 || st.State != StateStopped {
		t.Errorf("after two Next: %+v", st)
	}
	e.Previous()
	if st := e.Status(); st.Index != 1 {
		t.Errorf("after Previous: index %d, want 1", st.Index)
	}
	e.Next()
	e.Next() // past the end with repeat off: back to the first, stopped
	if st := e.Status(); st.Index != 0 || st.State != StateStopped {
		t.Errorf("after Next at the end: %+v", st)
	}
	if err := e.Play(5); err == nil {
		t.Error("Play(5) of 3: no error")
	}
	e.Play(1)
	e.Pause()
	if st := e.Status(); st.State != StatePaused || st.Index != 1 || st.Track.ID != "b" {
		t.Errorf("after Play(1), Pause: %+v", st)
	}
	e.Resume()
	if st := e.Status(); st.State != StatePlaying {
		t.Errorf("after Resume: %v", st.State)
	}
}

// Pausing stops the samples; resuming continues where it stopped.
func TestPauseResume(t *testing.T) {
	tracks := shortQueue(t, 1)
	out := &Null{}
	e := New(out, Options{})
	e.SetQueue(tracks)
	e.Play(0)
	e.Pause()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	time.Sleep(300 * time.Millisecond)
	if st := e.Status(); st.PositionMs != 0 || st.State != StatePaused {
		t.Errorf("paused before any sample: %+v", st)
	}
	e.Resume()
	for ev := range e.Events() {
		if ev.Type == EventState && ev.State == StateStopped {
			break
		}
	}
	cancel()
	<-done
	if out.Frames != 8820 {
		t.Errorf("%d frames after resume, want 8820", out.Frames)
	}
}

func emptyFile(t *testing.T) string {
	p := t.TempDir() + "/out.raw"
	if err := writeEmpty(p); err != nil {
		t.Fatal(err)
	}
	return p
}
