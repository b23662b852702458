package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/tapedeck/tapedeck/cache"
)

const levelDebug = slog.LevelDebug

// errorBody is every error response: {"error":{"code":…,"message":…}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(errorBody{errorDetail{code, msg}})
	writeRaw(w, status, "application/json", append(b, '\n'))
}

var contentTypes = map[string][]string{}

func init() {
	for _, t := range []string{"application/json", "audio/x-mpegurl", "text/event-stream"} {
		contentTypes[t] = []string{t}
	}
}

func writeRaw(w http.ResponseWriter, status int, ctype string, b []byte) {
	h := w.Header()
	if v, ok := contentTypes[ctype]; ok {
		h["Content-Type"] = v // shared, like securityHeaders
	} else {
		h.Set("Content-Type", ctype)
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// codeFor is the error code of a status the API itself refuses with.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	}
	return "internal"
}

// fail answers with the status err calls for. Errors the backend marks
// (or cache.ErrNotFound) carry a message meant for the listener; anything
// else is logged once and answered with a generic 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "request body is larger than 1 MiB")
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, cache.ErrNotFound), errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrBusy):
		writeError(w, http.StatusConflict, "busy", err.Error())
	case errors.Is(err, ErrNotLinked):
		writeError(w, http.StatusConflict, "not_linked", err.Error())
	case errors.Is(err, ErrNoTrack):
		writeError(w, http.StatusConflict, "nothing_to_play", err.Error())
	case r.Context().Err() != nil && errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		writeError(w, http.StatusServiceUnavailable, "canceled", "request canceled")
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error (see the daemon's log)")
	}
}

// statusWriter remembers the status for the debug log. Unwrap lets
// http.ResponseController reach the connection (flushing, deadlines).
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequest logs one request at debug level: never a body, never a
// header (the token travels in one), never the query string (search text).
func (s *Server) logRequest(r *http.Request, code int, start time.Time) {
	s.log.LogAttrs(r.Context(), levelDebug, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", code), slog.Duration("took", time.Since(start)),
		slog.String("remote", r.RemoteAddr))
}
