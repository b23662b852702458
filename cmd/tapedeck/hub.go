package main

import (
	gosync "sync"

	"github.com/tapedeck/tapedeck/api"
)

// hub fans events out to subscribers (the API's event stream). Publishing
// never blocks: a subscriber that falls 256 events behind loses the oldest
// ones rather than stalling the player or a scan.
type hub struct {
	mu     gosync.Mutex
	subs   map[int]chan api.Event
	next   int
	closed bool
}

func newHub() *hub { return &hub{subs: map[int]chan api.Event{}} }

func (h *hub) publish(typ string, data any) {
	ev := api.Event{Type: typ, Data: data}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- ev:
		default: // full: drop the oldest, keep the newest
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- ev:
			default:
			}
		}
	}
}

// Subscribe implements api.Backend.
func (h *hub) Subscribe() (<-chan api.Event, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan api.Event, 256)
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	id := h.next
	h.next++
	h.subs[id] = ch
	var once gosync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[id]; ok {
				delete(h.subs, id)
				close(ch)
			}
		})
	}
}

// close ends every subscription (daemon shutdown).
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for id, ch := range h.subs {
		delete(h.subs, id)
		close(ch)
	}
}
