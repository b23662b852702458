package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

type sseEvent struct {
	typ, data, id string
}

// readEvents parses a text/event-stream until n events have arrived,
// counting heartbeat comments.
func readEvents(t *testing.T, sc *bufio.Scanner, n int) (evs []sseEvent, pings int) {
	t.Helper()
	var cur sseEvent
	for len(evs) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.typ != "" {
				evs = append(evs, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ": "):
			pings++
		case strings.HasPrefix(line, "event: "):
			cur.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "retry: "):
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	if len(evs) < n {
		t.Fatalf("stream ended after %d of %d events: %v", len(evs), n, sc.Err())
	}
	return evs, pings
}

// TestEvents: a status event first, then every backend event in order
// with increasing ids, heartbeats while idle, and the stream outlives the
// server's ReadTimeout. Closing the client cancels the subscription.
func TestEvents(t *testing.T) {
	ch := make(chan Event, 1024)
	cancelled := make(chan struct{})
	var once gosync.Once
	f := &fakeBackend{SubscribeFunc: func() (<-chan Event, func()) {
		return ch, func() { once.Do(func() { close(cancelled) }) }
	}}
	ts := start(t, f, Options{ReadTimeout: 300 * time.Millisecond, Heartbeat: 100 * time.Millisecond})
	resp, err := http.Get(ts.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	first, _ := readEvents(t, sc, 1)
	if first[0].typ != "status" || first[0].id != "1" || !strings.Contains(first[0].data, `"state":"stopped"`) {
		t.Fatalf("first event %+v, want the status", first[0])
	}
	types := []string{"state", "track", "position", "source", "connectivity", "scan", "sync", "error"}
	const n = 500
	for i := range n {
		ch <- Event{Type: types[i%len(types)], Data: map[string]int{"seq": i}}
	}
	evs, _ := readEvents(t, sc, n)
	for i, ev := range evs {
		var d struct{ Seq int }
		if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
			t.Fatalf("event %d data %q: %v", i, ev.data, err)
		}
		if d.Seq != i || ev.typ != types[i%len(types)] || ev.id != fmt.Sprint(i+2) {
			t.Fatalf("event %d is %+v (seq %d), want seq %d type %s id %d", i, ev, d.Seq, i, types[i%len(types)], i+2)
		}
	}
	// Idle past ReadTimeout: heartbeats keep coming, then an event still
	// gets through.
	time.Sleep(500 * time.Millisecond)
	ch <- Event{Type: "state", Data: map[string]string{"state": "paused"}}
	last, pings := readEvents(t, sc, 1)
	if pings < 2 || last[0].typ != "state" || last[0].id != fmt.Sprint(n+2) {
		t.Errorf("after idling: %d pings, event %+v", pings, last[0])
	}
	resp.Body.Close()
	select {
	case <-cancelled:
	case <-time.After(2 * time.Second):
		t.Error("subscription not cancelled after the client left")
	}
}

// TestEventsBackendCloses: the stream ends when the backend closes its
// channel.
func TestEventsBackendCloses(t *testing.T) {
	ch := make(chan Event)
	f := &fakeBackend{SubscribeFunc: func() (<-chan Event, func()) { return ch, func() {} }}
	ts := start(t, f, Options{})
	resp, err := http.Get(ts.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	readEvents(t, sc, 1)
	close(ch)
	done := make(chan struct{})
	go func() {
		for sc.Scan() {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Error("stream still open after the backend closed it")
	}
}
