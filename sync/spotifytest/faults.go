package spotifytest

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// HangForever, as Fault.Hang, holds a request until the client gives up or
// the server closes.
const HangForever = time.Duration(math.MaxInt64)

// AllRoutes, as the route of Fault, matches every request. A fault set on
// a route itself is applied before the ones set on AllRoutes.
const AllRoutes = "*"

// Fault is a failure to inject into the answers of one route.
type Fault struct {
	// Status, when not zero, is sent instead of the real answer, with
	// Spotify's error object ({"error":{"status","message"}}) as the body.
	Status int
	// Message overrides the error message of Status.
	Message string
	// RetryAfter, when not zero, is sent as the Retry-After header (seconds).
	RetryAfter int
	// Hang delays the answer by this long, or until the client gives up or
	// the server closes (HangForever: never answer on its own).
	Hang time.Duration
	// Reset closes the connection without answering (TCP reset).
	Reset bool
	// Malformed sends the real answer's headers but only the first half of
	// its JSON body (Content-Length matches the truncated body).
	Malformed bool
	// PlainText sends a text/plain body instead of JSON, as a proxy in front
	// of Spotify does; with Status zero the status is 503.
	PlainText bool
	// Times applies the fault to the next Times matching requests only;
	// zero applies it until ClearFaults.
	Times int
}

type faultState struct {
	Fault
	left int
}

// Fault adds a failure to route: a pattern from Routes, such as
// "GET /v1/playlists/{id}/items", or AllRoutes. Faults queue: when one with
// Times runs out, the next one on the route applies. It panics on an
// unknown route, which is a mistake in the test.
func (s *Server) Fault(route string, f Fault) {
	if route != AllRoutes && !slices.Contains(s.routes, route) {
		panic(fmt.Sprintf("spotifytest: Fault on unknown route %q; routes are %q", route, s.routes))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], &faultState{Fault: f, left: f.Times})
}

// ClearFaults removes every fault from every route.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// takeFault returns the fault for this request, if any, using one of its
// Times. Callers hold s.mu.
func (s *Server) takeFault(route string) *Fault {
	for _, key := range []string{route, AllRoutes} {
		q := s.faults[key]
		if key == "" || len(q) == 0 {
			continue
		}
		f := q[0]
		if f.Times > 0 {
			f.left--
			if f.left <= 0 {
				s.faults[key] = q[1:]
			}
		}
		return &f.Fault
	}
	return nil
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, h http.HandlerFunc) {
	if f.Hang > 0 && !s.hang(r, f.Hang) {
		panic(http.ErrAbortHandler) // drop the connection without answering
	}
	if f.Reset {
		reset(w)
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	switch {
	case f.PlainText:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(status)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, msg)
	case f.Status != 0:
		msg := f.Message
		if msg == "" {
			msg = statusMessage(f.Status)
		}
		writeError(w, f.Status, msg)
	case f.Malformed:
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		h(rec, r)
		body := rec.body.Bytes()
		body = body[:len(body)/2]
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		w.Write(body)
	default:
		h(w, r)
	}
}

// hang waits for d, the client leaving or the server closing; it reports
// whether the request should still be answered.
func (s *Server) hang(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d != HangForever {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// reset hijacks the connection and closes it with SO_LINGER 0, so the
// client sees "connection reset by peer" rather than a clean EOF.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// statusMessage is the message Spotify sends with a status.
func statusMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "API rate limit exceeded"
	case http.StatusInternalServerError:
		return "Server error."
	case http.StatusBadGateway:
		return "Bad gateway."
	case http.StatusServiceUnavailable:
		return "Service unavailable"
	}
	return http.StatusText(status)
}

// recorder captures an answer so Malformed can cut it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }
