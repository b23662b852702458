package spotifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scopes of the player routes, as Spotify's reference gives them.
const (
	scopeReadPlayback   = "user-read-playback-state"
	scopeReadCurrent    = "user-read-currently-playing"
	scopeModifyPlayback = "user-modify-playback-state"
)

// QueueLength is how many upcoming entries GET /v1/me/player/queue lists
// at most.
const QueueLength = 20

// Spotify's answers to refused player commands.
var (
	errNoActiveDevice = &playerError{http.StatusNotFound, "Player command failed: No active device found", "NO_ACTIVE_DEVICE"}
	errPremium        = &playerError{http.StatusForbidden, "Player command failed: Premium required", "PREMIUM_REQUIRED"}
	errRestricted     = &playerError{http.StatusForbidden, "Player command failed: Restriction violated", "UNKNOWN"}
	errNoVolume       = &playerError{http.StatusForbidden, "Player command failed: Cannot control device volume", "VOLUME_CONTROL_DISALLOW"}
	errNoDevice       = &playerError{status: http.StatusNotFound, message: "Device not found"}
)

func (s *Server) playerRoutes(handle func(string, http.HandlerFunc)) {
	handle("GET /v1/me/player", s.api(scopeReadPlayback, s.handlePlaybackState))
	handle("PUT /v1/me/player", s.api(scopeModifyPlayback, s.command(anyDevice, s.handleTransfer)))
	handle("GET /v1/me/player/devices", s.api(scopeReadPlayback, s.handleDevices))
	handle("GET /v1/me/player/currently-playing", s.api(scopeReadCurrent, s.handleCurrentlyPlaying))
	handle("GET /v1/me/player/queue", s.api(scopeReadPlayback, s.handleQueue))
	handle("PUT /v1/me/player/play", s.api(scopeModifyPlayback, s.command(activates, s.handlePlay)))
	handle("PUT /v1/me/player/pause", s.api(scopeModifyPlayback, s.command(activeOnly, s.handlePause)))
	handle("POST /v1/me/player/next", s.api(scopeModifyPlayback, s.command(activeOnly, s.handleNext)))
	handle("POST /v1/me/player/previous", s.api(scopeModifyPlayback, s.command(activeOnly, s.handlePrevious)))
	handle("PUT /v1/me/player/seek", s.api(scopeModifyPlayback, s.command(activeOnly, s.handleSeek)))
	handle("PUT /v1/me/player/volume", s.api(scopeModifyPlayback, s.command(activeOnly, s.handleVolume)))
	handle("PUT /v1/me/player/shuffle", s.api(scopeModifyPlayback, s.command(activeOnly, s.handleShuffle)))
	handle("PUT /v1/me/player/repeat", s.api(scopeModifyPlayback, s.command(activeOnly, s.handleRepeat)))
}

func (s *Server) handlePlaybackState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pl
	p.settle(s.now())
	i := p.device(p.active)
	if i < 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	x := s.render()
	writeJSON(w, http.StatusOK, playbackStateJSON{
		Device: x.device(p.devices[i], true), ShuffleState: p.shuffle, RepeatState: p.repeat,
		currentlyPlayingJSON: x.currentlyPlaying(p, wantsEpisodes(r)),
	})
}

func (s *Server) handleCurrentlyPlaying(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pl
	p.settle(s.now())
	if p.active == "" || p.current() == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, s.render().currentlyPlaying(p, wantsEpisodes(r)))
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	x := s.render()
	j := devicesJSON{Devices: []deviceJSON{}}
	for _, d := range s.pl.devices {
		j.Devices = append(j.Devices, x.device(d, d.ID == s.pl.active))
	}
	writeJSON(w, http.StatusOK, j)
}

// handleQueue lists the rest of the context. With no active device it
// answers an empty queue rather than an error.
func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pl
	p.settle(s.now())
	x := s.render()
	j := queueJSON{Queue: []any{}}
	if p.active != "" && p.current() != nil {
		j.CurrentlyPlaying = x.queueItem(*p.current())
		for _, it := range p.upcoming(QueueLength) {
			j.Queue = append(j.Queue, x.queueItem(it))
		}
	}
	writeJSON(w, http.StatusOK, j)
}

// target says which device a command may address with device_id.
type target int

const (
	activeOnly target = iota // device_id must name the active device
	activates                // device_id moves playback to that device (play)
	anyDevice                // the handler picks the device itself (transfer)
)

// commandFunc carries out a player command; it runs with s.mu held.
type commandFunc func(r *http.Request, p *player, now time.Time) error

// command checks Premium and the target device, runs h and answers 204,
// or Spotify's error object.
func (s *Server) command(t target, h commandFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		err := s.runCommand(r, t, h)
		s.mu.Unlock()
		if err != nil {
			writePlayerError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) runCommand(r *http.Request, t target, h commandFunc) error {
	if s.user.Product != "premium" {
		return errPremium
	}
	p, now := s.pl, s.now()
	if t == anyDevice {
		return h(r, p, now)
	}
	id := r.URL.Query().Get("device_id")
	if id == "" {
		id = p.active
	}
	i := p.device(id)
	switch {
	case id == "":
		return errNoActiveDevice
	case i < 0:
		return errNoDevice
	case p.devices[i].IsRestricted:
		return errRestricted
	case id != p.active && t != activates:
		return errNoActiveDevice
	}
	if id == p.active {
		return h(r, p, now)
	}
	p.settle(now)
	was, playing := p.active, p.playing
	p.active = id
	if err := h(r, p, now); err != nil {
		p.active, p.playing = was, playing
		return err
	}
	return nil
}

type playBody struct {
	ContextURI *string  `json:"context_uri"`
	URIs       []string `json:"uris"`
	Offset     *struct {
		Position *int    `json:"position"`
		URI      *string `json:"uri"`
	} `json:"offset"`
	PositionMs *int `json:"position_ms"`
}

// decodeBody reads an optional JSON body.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Malformed json")
	}
	return nil
}

func (s *Server) handlePlay(r *http.Request, p *player, now time.Time) error {
	var b playBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	pos := time.Duration(0)
	if b.PositionMs != nil {
		if *b.PositionMs < 0 {
			return badRequest("position_ms must be a positive number")
		}
		pos = time.Duration(*b.PositionMs) * time.Millisecond
	}
	index, uri := 0, ""
	if o := b.Offset; o != nil {
		switch {
		case o.Position != nil && o.URI != nil:
			return badRequest("Only one of offset.position and offset.uri may be given")
		case o.Position != nil:
			index = *o.Position
		case o.URI != nil:
			uri = *o.URI
		}
	}
	var err error
	switch {
	case b.ContextURI != nil && b.URIs != nil:
		return badRequest("Only one of context_uri and uris may be given")
	case b.ContextURI != nil:
		err = s.loadContext(*b.ContextURI, index, uri)
	case b.URIs != nil:
		err = s.loadURIs(b.URIs, index, uri)
	default:
		return resume(p, now, b.PositionMs != nil, pos)
	}
	if err != nil {
		return err
	}
	p.start(now, pos, true)
	return nil
}

// resume continues the current entry, at pos if seek is set.
func resume(p *player, now time.Time, seek bool, pos time.Duration) error {
	p.settle(now)
	switch {
	case p.current() == nil:
		return errRestricted
	case seek:
		p.start(now, pos, true)
	case !p.playing:
		p.playing, p.changed = true, now
	}
	return nil
}

func (s *Server) loadContext(uri string, index int, offsetURI string) error {
	if id, ok := strings.CutPrefix(uri, "spotify:playlist:"); ok {
		return s.loadPlaylist(id, index, offsetURI)
	}
	if id, ok := strings.CutPrefix(uri, "spotify:album:"); ok {
		return s.loadAlbum(id, index, offsetURI)
	}
	if isCollection(uri) {
		// What Spotify answers for Liked Songs as a context.
		return badRequest("Non supported context uri")
	}
	if !strings.HasPrefix(uri, "spotify:") {
		return badRequest("Invalid context uri")
	}
	// Artists and shows are not part of the fake's catalogue.
	return errContextNotFound
}

func (s *Server) handlePause(r *http.Request, p *player, now time.Time) error {
	p.settle(now)
	if !p.playing {
		return errRestricted // Spotify refuses to pause a paused player
	}
	p.playing, p.changed = false, now
	return nil
}

func (s *Server) handleNext(r *http.Request, p *player, now time.Time) error {
	if p.current() == nil {
		return errRestricted
	}
	p.next(now)
	return nil
}

func (s *Server) handlePrevious(r *http.Request, p *player, now time.Time) error {
	if p.current() == nil {
		return errRestricted
	}
	p.previous(now)
	return nil
}

func (s *Server) handleSeek(r *http.Request, p *player, now time.Time) error {
	ms, err := strconv.Atoi(r.URL.Query().Get("position_ms"))
	if err != nil || ms < 0 {
		return badRequest("Required parameter position_ms missing or invalid")
	}
	p.settle(now)
	if p.current() == nil {
		return errRestricted
	}
	p.start(now, time.Duration(ms)*time.Millisecond, p.playing)
	return nil
}

func (s *Server) handleVolume(r *http.Request, p *player, now time.Time) error {
	v, err := strconv.Atoi(r.URL.Query().Get("volume_percent"))
	if err != nil || v < 0 || v > 100 {
		return badRequest("Invalid volume_percent: must be an integer between 0 and 100")
	}
	d := &p.devices[p.device(p.active)]
	if d.NoVolume {
		return errNoVolume
	}
	d.VolumePercent = v
	return nil
}

func (s *Server) handleShuffle(r *http.Request, p *player, now time.Time) error {
	on, err := strconv.ParseBool(r.URL.Query().Get("state"))
	if err != nil {
		return badRequest("Invalid state: must be true or false")
	}
	p.setShuffle(now, on)
	return nil
}

func (s *Server) handleRepeat(r *http.Request, p *player, now time.Time) error {
	st := r.URL.Query().Get("state")
	if st != RepeatOff && st != RepeatContext && st != RepeatTrack {
		return badRequest("Invalid state: must be track, context or off")
	}
	p.settle(now)
	p.repeat, p.changed = st, now
	return nil
}

// handleTransfer serves PUT /v1/me/player. With play false or absent the
// player keeps its playing or paused state, as the reference says.
func (s *Server) handleTransfer(r *http.Request, p *player, now time.Time) error {
	var b struct {
		DeviceIDs []string `json:"device_ids"`
		Play      *bool    `json:"play"`
	}
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	switch {
	case len(b.DeviceIDs) == 0:
		return badRequest("Missing required field: device_ids")
	case len(b.DeviceIDs) > 1:
		return badRequest("Only one device ID is supported")
	}
	i := p.device(b.DeviceIDs[0])
	switch {
	case i < 0:
		return errNoDevice
	case p.devices[i].IsRestricted:
		return errRestricted
	}
	p.settle(now)
	p.active, p.changed = b.DeviceIDs[0], now
	if b.Play != nil && *b.Play && p.current() != nil {
		p.playing = true
	}
	return nil
}

// isCollection reports a Liked Songs URI ("spotify:user:ID:collection",
// "spotify:collection:tracks").
func isCollection(uri string) bool {
	if strings.HasPrefix(uri, "spotify:collection") {
		return true
	}
	rest, ok := strings.CutPrefix(uri, "spotify:user:")
	return ok && strings.HasSuffix(rest, ":collection")
}
