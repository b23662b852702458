package player

import (
	gosync "sync"
	"time"
)

// EventType says what an Event reports.
type EventType int

// Event types.
const (
	// EventTrackStart: the first sample of Track reached the output.
	EventTrackStart EventType = iota + 1
	// EventTrackEnd: Track stopped being heard; Finished says whether it
	// played to its end (false: skipped, stopped, or failed mid-way).
	EventTrackEnd
	// EventError: Track could not be played (Err says why) and was skipped,
	// or, with no Track, the output failed.
	EventError
	// EventState: the engine changed State (playing, paused, stopped).
	EventState
)

func (t EventType) String() string {
	switch t {
	case EventTrackStart:
		return "track-start"
	case EventTrackEnd:
		return "track-end"
	case EventError:
		return "error"
	case EventState:
		return "state"
	}
	return "unknown"
}

// Event is something the engine reports to whoever publishes its state.
type Event struct {
	Type     EventType
	Time     time.Time
	Index    int   // position of Track in the queue, -1 when none
	Track    Track // zero when the event concerns no track
	State    State
	Finished bool
	Err      error
}

// eventQueue decouples the audio path from the consumer of Events: posting
// never blocks; when more than max events wait, the oldest are dropped.
type eventQueue struct {
	mu      gosync.Mutex
	pending []Event
	max     int
	dropped int
	wake    chan struct{}
	out     chan Event
}

func newEventQueue(max int) *eventQueue {
	return &eventQueue{max: max, wake: make(chan struct{}, 1), out: make(chan Event)}
}

func (q *eventQueue) post(ev Event) {
	q.mu.Lock()
	if len(q.pending) >= q.max {
		q.pending = q.pending[1:]
		q.dropped++
	}
	q.pending = append(q.pending, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run delivers events on q.out until done is closed.
func (q *eventQueue) run(done <-chan struct{}) {
	for {
		q.mu.Lock()
		var ev Event
		has := len(q.pending) > 0
		if has {
			ev = q.pending[0]
			q.pending = q.pending[1:]
		}
		q.mu.Unlock()
		if !has {
			select {
			case <-q.wake:
				continue
			case <-done:
				return
			}
		}
		select {
		case q.out <- ev:
		case <-done:
			return
		}
	}
}
