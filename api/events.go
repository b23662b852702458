package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sseWriteTimeout drops an event-stream client that stops reading, so it
// holds nothing (the backend's buffer is drained by us, never blocked).
const sseWriteTimeout = 10 * time.Second

// events streams Server-Sent Events: first a "status" event with the whole
// status, then every backend event in the order the backend sent it, each
// with an increasing id, and a comment every Heartbeat. It ends when the
// client goes, the backend closes the stream, or the server shuts down.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The server's ReadTimeout would otherwise cancel the stream.
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		s.fail(w, r, err)
		return
	}
	evs, cancel := s.b.Subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	var buf bytes.Buffer
	var id int64
	send := func(typ string, data any) bool {
		b, err := json.Marshal(data)
		if err != nil {
			s.log.Error("event not encodable", "type", typ, "err", err)
			return true
		}
		id++
		buf.Reset()
		buf.WriteString("event: ")
		buf.WriteString(strings.Map(dropNewline, typ))
		buf.WriteString("\ndata: ")
		buf.Write(b)
		buf.WriteString("\nid: ")
		buf.WriteString(strconv.FormatInt(id, 10))
		buf.WriteString("\n\n")
		return s.flush(rc, w, buf.Bytes())
	}
	if !s.flush(rc, w, []byte("retry: 3000\n\n")) || !send("status", s.b.Status(r.Context())) {
		return
	}
	tick := time.NewTicker(s.opts.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-evs:
			if !ok || !send(ev.Type, ev.Data) {
				return
			}
		case <-tick.C:
			if !s.flush(rc, w, []byte(": ping\n\n")) {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}

// flush writes b and pushes it out at once, within sseWriteTimeout.
func (s *Server) flush(rc *http.ResponseController, w http.ResponseWriter, b []byte) bool {
	rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	if _, err := w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}

func dropNewline(r rune) rune {
	if r == '\n' || r == '\r' {
		return -1
	}
	return r
}
