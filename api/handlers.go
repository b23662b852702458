package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"

	"github.com/tapedeck/tapedeck/cache"
)

var bufPool = gosync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeJSON answers 200 (or status) with v, with a Content-Length so small
// answers go out in one write.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		s.fail(w, r, fmt.Errorf("encoding the answer: %w", err))
		return
	}
	writeRaw(w, status, "application/json", buf.Bytes())
}

// decode reads the JSON body into v. An unknown field, a wrong type or
// trailing data is a 400 naming the field; an oversized body is a 413.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: a JSON body is required", ErrBadRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badJSON(err)
	}
	if dec.More() {
		return fmt.Errorf("%w: invalid JSON: data after the object", ErrBadRequest)
	}
	return nil
}

// noBody reads a body the route does not use: it must be empty or valid
// JSON, and within the cap.
func noBody(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		return fmt.Errorf("%w: invalid JSON body", ErrBadRequest)
	}
	return nil
}

func badJSON(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("%w: field %q must be %s, not %s", ErrBadRequest, te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("%w: invalid JSON at byte %d: %v", ErrBadRequest, se.Offset, se)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("%w: %s", ErrBadRequest, strings.TrimPrefix(err.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: invalid JSON: unexpected end", ErrBadRequest)
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return fmt.Errorf("%w: invalid JSON: %v", ErrBadRequest, err)
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	}
	return "an object"
}

func badField(field, format string, args ...any) error {
	return fmt.Errorf("%w: field %q %s", ErrBadRequest, field, fmt.Sprintf(format, args...))
}

// ---- status and health

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}{"ok", s.opts.Version})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, s.b.Status(r.Context()))
}

// ---- player

// command runs a player control that takes no body and answers 204.
func (s *Server) command(w http.ResponseWriter, r *http.Request, do func() error) {
	if err := noBody(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := do(); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request) {
	s.command(w, r, func() error { return s.b.Pause(r.Context()) })
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	s.command(w, r, func() error { return s.b.Resume(r.Context()) })
}

func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	s.command(w, r, func() error { return s.b.Stop(r.Context()) })
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.command(w, r, func() error { return s.b.Next(r.Context()) })
}

func (s *Server) previous(w http.ResponseWriter, r *http.Request) {
	s.command(w, r, func() error { return s.b.Previous(r.Context()) })
}

func (s *Server) play(w http.ResponseWriter, r *http.Request) {
	req, err := decodePlay(r, true)
	if err == nil {
		err = s.b.Play(r.Context(), req)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) setQueue(w http.ResponseWriter, r *http.Request) {
	req, err := decodePlay(r, false)
	if err == nil {
		err = s.b.SetQueue(r.Context(), req)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodePlay reads a PlayRequest: a playlist or paths, not both; with
// resume, neither (play resumes, or plays the queue).
func decodePlay(r *http.Request, resume bool) (PlayRequest, error) {
	var req PlayRequest
	if err := decode(r, &req); err != nil {
		return req, err
	}
	switch {
	case req.Playlist == "" && len(req.Paths) == 0 && !resume:
		return req, fmt.Errorf("%w: give \"playlist\" (id, URI or name) or \"paths\"", ErrBadRequest)
	case req.Playlist != "" && len(req.Paths) > 0:
		return req, fmt.Errorf("%w: give \"playlist\" or \"paths\", not both", ErrBadRequest)
	case req.Index < 0:
		return req, badField("index", "must be 0 or more")
	case req.PositionMs < 0:
		return req, badField("position_ms", "must be 0 or more")
	}
	for i, p := range req.Paths {
		if strings.TrimSpace(p) == "" {
			return req, badField(fmt.Sprintf("paths[%d]", i), "is empty")
		}
	}
	return req, nil
}

func (s *Server) seek(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PositionMs *int64 `json:"position_ms"`
	}
	err := decode(r, &req)
	switch {
	case err != nil:
	case req.PositionMs == nil:
		err = badField("position_ms", "is required")
	case *req.PositionMs < 0:
		err = badField("position_ms", "must be 0 or more")
	default:
		err = s.b.Seek(r.Context(), *req.PositionMs)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) volume(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Volume *int `json:"volume"`
	}
	err := decode(r, &req)
	switch {
	case err != nil:
	case req.Volume == nil:
		err = badField("volume", "is required")
	case *req.Volume < 0 || *req.Volume > 100:
		err = badField("volume", "must be from 0 to 100")
	default:
		err = s.b.SetVolume(r.Context(), *req.Volume)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) shuffle(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Shuffle *bool `json:"shuffle"`
	}
	err := decode(r, &req)
	switch {
	case err != nil:
	case req.Shuffle == nil:
		err = badField("shuffle", "is required (true or false)")
	default:
		err = s.b.SetShuffle(r.Context(), *req.Shuffle)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) repeat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Repeat *string `json:"repeat"`
	}
	err := decode(r, &req)
	switch {
	case err != nil:
	case req.Repeat == nil:
		err = badField("repeat", `is required ("off", "all" or "one")`)
	case *req.Repeat != "off" && *req.Repeat != "all" && *req.Repeat != "one":
		err = badField("repeat", `must be "off", "all" or "one"`)
	default:
		err = s.b.SetRepeat(r.Context(), *req.Repeat)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request) {
	q, err := s.b.Queue(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if q.Entries == nil {
		q.Entries = []QueueEntry{}
	}
	s.writeJSON(w, r, http.StatusOK, q)
}

func (s *Server) addToQueue(w http.ResponseWriter, r *http.Request) {
	var req QueueAddRequest
	err := decode(r, &req)
	if err == nil {
		err = req.validate()
	}
	var q Queue
	if err == nil {
		q, err = s.b.AddToQueue(r.Context(), req)
	}
	s.answerQueue(w, r, http.StatusCreated, q, err)
}

func (req QueueAddRequest) validate() error {
	switch {
	case req.Playlist == "" && len(req.Paths) == 0:
		return fmt.Errorf("%w: give \"paths\", or \"playlist\" (id, URI or name) and \"index\"", ErrBadRequest)
	case req.Playlist != "" && len(req.Paths) > 0:
		return fmt.Errorf("%w: give \"paths\" or \"playlist\", not both", ErrBadRequest)
	case req.Playlist != "" && req.Index == nil:
		return badField("index", "is required with \"playlist\" (the entry's position, from 0)")
	case req.Playlist == "" && req.Index != nil:
		return badField("index", "goes with \"playlist\"; paths are added whole")
	case req.Index != nil && *req.Index < 0:
		return badField("index", "must be 0 or more")
	case req.Next && req.At != nil:
		return fmt.Errorf("%w: give \"next\" or \"at\", not both", ErrBadRequest)
	case req.At != nil && *req.At < 0:
		return badField("at", "must be 0 or more")
	}
	for i, p := range req.Paths {
		if strings.TrimSpace(p) == "" {
			return badField(fmt.Sprintf("paths[%d]", i), "is empty")
		}
	}
	return nil
}

func (s *Server) removeFromQueue(w http.ResponseWriter, r *http.Request) {
	err := noBody(r)
	i, perr := strconv.Atoi(r.PathValue("index"))
	var q Queue
	switch {
	case err != nil:
	case perr != nil || i < 0:
		err = fmt.Errorf("%w: the index in the path must be a queue position, 0 or more, not %s", ErrBadRequest, quote(r.PathValue("index")))
	default:
		q, err = s.b.RemoveFromQueue(r.Context(), i)
	}
	s.answerQueue(w, r, http.StatusOK, q, err)
}

func (s *Server) moveInQueue(w http.ResponseWriter, r *http.Request) {
	var req QueueMoveRequest
	err := decode(r, &req)
	var q Queue
	switch {
	case err != nil:
	case req.From == nil:
		err = badField("from", "is required")
	case req.To == nil:
		err = badField("to", "is required")
	case *req.From < 0:
		err = badField("from", "must be 0 or more")
	case *req.To < 0:
		err = badField("to", "must be 0 or more")
	default:
		q, err = s.b.MoveInQueue(r.Context(), *req.From, *req.To)
	}
	s.answerQueue(w, r, http.StatusOK, q, err)
}

// answerQueue answers an edit of the queue with the queue afterwards.
func (s *Server) answerQueue(w http.ResponseWriter, r *http.Request, status int, q Queue, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if q.Entries == nil {
		q.Entries = []QueueEntry{}
	}
	s.writeJSON(w, r, status, q)
}

// ---- library

func (s *Server) playlists(w http.ResponseWriter, r *http.Request) {
	ps, err := s.b.Playlists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ps == nil {
		ps = []cache.Playlist{}
	}
	s.writeJSON(w, r, http.StatusOK, ps)
}

// PlaylistDetail is GET /playlists/{id}: the playlist and its entries, the
// same object as `tapedeck playlist show --json`.
type PlaylistDetail struct {
	cache.Playlist
	Entries []cache.PlaylistItem `json:"entries"`
}

func (s *Server) playlist(w http.ResponseWriter, r *http.Request) {
	p, items, err := s.b.Playlist(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []cache.PlaylistItem{}
	}
	s.writeJSON(w, r, http.StatusOK, PlaylistDetail{p, items})
}

func (s *Server) playlistM3U(w http.ResponseWriter, r *http.Request) {
	_, items, err := s.b.Playlist(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	WriteM3U(&buf, items, "")
	writeRaw(w, http.StatusOK, "audio/x-mpegurl", buf.Bytes())
}

func (s *Server) tracks(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, fmt.Errorf("%w: parameter \"limit\" must be a number from 1 to 1000", ErrBadRequest))
			return
		}
		limit = n
	}
	ts, err := s.b.Tracks(r.Context(), r.URL.Query().Get("q"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []cache.LocalTrack{}
	}
	s.writeJSON(w, r, http.StatusOK, ts)
}

func (s *Server) missing(w http.ResponseWriter, r *http.Request) {
	ms, err := s.b.Missing(r.Context(), r.URL.Query().Get("playlist"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ms == nil {
		ms = []cache.MissingTrack{}
	}
	s.writeJSON(w, r, http.StatusOK, ms)
}

func (s *Server) outages(w http.ResponseWriter, r *http.Request) {
	os, err := s.b.Outages(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if os == nil {
		os = []Outage{}
	}
	s.writeJSON(w, r, http.StatusOK, os)
}

// MatchRequest is PUT /matches/{spotify_id}.
type MatchRequest struct {
	Kind string `json:"kind"` // pin, reject or none
	Path string `json:"path,omitempty"`
}

func (s *Server) setMatch(w http.ResponseWriter, r *http.Request) {
	var req MatchRequest
	err := decode(r, &req)
	if err == nil {
		err = req.validate()
	}
	var m MatchInfo
	if err == nil {
		m, err = s.b.SetMatch(r.Context(), r.PathValue("spotify_id"), req.Kind, req.Path)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, m)
}

func (req MatchRequest) validate() error {
	switch req.Kind {
	case "pin", "reject":
		if strings.TrimSpace(req.Path) == "" {
			return badField("path", "is required with kind %q", req.Kind)
		}
	case "none":
		if req.Path != "" {
			return badField("path", "must be absent with kind \"none\"")
		}
	case "reset":
		return badField("kind", "\"reset\" is DELETE /matches/{spotify_id}")
	default:
		return badField("kind", "must be \"pin\", \"reject\" or \"none\"")
	}
	return nil
}

func (s *Server) resetMatch(w http.ResponseWriter, r *http.Request) {
	err := noBody(r)
	var m MatchInfo
	if err == nil {
		m, err = s.b.ResetMatch(r.Context(), r.PathValue("spotify_id"))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, m)
}

// startedBody answers POST /sync and /scan: the work runs on, its progress
// goes out on /events.
type startedBody struct {
	Started string `json:"started"`
	Events  string `json:"events"`
}

func (s *Server) startSync(w http.ResponseWriter, r *http.Request) {
	s.start(w, r, "sync", func() error { return s.b.StartSync(r.Context()) })
}

func (s *Server) startScan(w http.ResponseWriter, r *http.Request) {
	s.start(w, r, "scan", func() error { return s.b.StartScan(r.Context()) })
}

func (s *Server) start(w http.ResponseWriter, r *http.Request, what string, do func() error) {
	err := noBody(r)
	if err == nil {
		err = do()
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusAccepted, startedBody{what, Prefix + "/events"})
}
