package spotifytest

// The Connect player: GET/PUT /v1/me/player, /devices, /currently-playing,
// /queue, PUT /play, /pause, /seek, /volume, /shuffle, /repeat and POST
// /next, /previous, with Spotify's JSON and errors:
//
//   - Commands answer 204; refused ones Spotify's error object with its
//     player "reason": 404 "Player command failed: No active device found"
//     (NO_ACTIVE_DEVICE) with no active device, or when device_id names
//     another device than the active one (play alone moves playback there);
//     403 "Player command failed: Premium required" (PREMIUM_REQUIRED) when
//     the user's Product is not "premium" (reading needs no Premium); 403
//     "Player command failed: Restriction violated" (UNKNOWN) to pause a
//     paused player, to resume or skip with nothing loaded, and on
//     restricted devices; 404 "Device not found" for an unknown device.
//   - GET /v1/me/player answers 204 with no active device;
//     /currently-playing also when nothing is loaded.
//   - Playback runs on Server.Now: position = position at the last change
//     + (now - then) while playing. At the end of an entry the next
//     playable one starts (null entries, local files and entries without a
//     duration are skipped, as Connect devices do); with repeat off the end
//     of the context leaves the player paused at its first entry, with
//     repeat track the entry loops, with repeat context the context wraps.
//     All of it is computed when asked, so no goroutine runs the clock.
//   - A context is a playlist of the fake ("spotify:playlist:ID"), taken as
//     it is when playback starts (later edits do not reach the player), or
//     a list of track URIs found in the fake's playlists and Liked Songs.
//     Albums, artists and shows are not served: 404 "Context not found".
//   - The 400 messages and the statuses for a bad offset, an unknown
//     context or a context with nothing playable are the fake's own;
//     Spotify does not document them.

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Device is a Spotify Connect device of the user (GET /v1/me/player/devices).
type Device struct {
	ID   string
	Name string
	// Type is Spotify's device type: "Computer" (the default), "Smartphone",
	// "Speaker", "TV", "AVR", "STB", "AudioDongle", "GameConsole",
	// "CastVideo", "CastAudio", "Automobile", "Tablet" or "Unknown".
	Type          string
	VolumePercent int
	// IsActive makes AddDevice transfer playback to this device, as if the
	// user had picked it in the Spotify app.
	IsActive         bool
	IsPrivateSession bool
	// IsRestricted devices accept no Web API commands (403), as Spotify
	// documents for is_restricted.
	IsRestricted bool
	// NoVolume devices have a fixed volume: supports_volume is false,
	// volume_percent null, and the volume command answers 403.
	NoVolume bool
}

// Repeat modes, as repeat_state carries them.
const (
	RepeatOff     = "off"
	RepeatContext = "context"
	RepeatTrack   = "track"
)

// Playback is what SetPlaying starts, as if the official app had started it.
type Playback struct {
	// DeviceID is the device to play on: default the active device, else
	// the first one added.
	DeviceID string
	// PlaylistID is the context: a playlist of the fake. Exactly one of
	// PlaylistID, AlbumID and URIs is set.
	PlaylistID string
	// AlbumID is the context: an album added with AddAlbum.
	AlbumID string
	// URIs are track URIs ("spotify:track:ID") of tracks in the fake's
	// playlists or Liked Songs, played without a context.
	URIs []string
	// Index is the entry to start at (of the playlist's Items or of URIs);
	// an unplayable entry starts the next playable one.
	Index    int
	Position time.Duration
	Paused   bool
}

// PlayerState is a snapshot of the fake's player, for tests.
type PlayerState struct {
	// DeviceID is the active device, "" when none.
	DeviceID string
	// ContextURI is "spotify:playlist:ID", or "" when playing URIs or nothing.
	ContextURI string
	// Index is the current entry's index in the playlist's Items (or in the
	// URIs played); -1 when nothing is loaded.
	Index int
	// ItemURI is the current entry, "spotify:track:ID" or
	// "spotify:episode:ID"; "" when nothing is loaded.
	ItemURI       string
	Progress      time.Duration
	IsPlaying     bool
	Shuffle       bool
	Repeat        string
	VolumePercent int
	// Changed is when the state last changed (the timestamp field).
	Changed time.Time
	// Outage is the outage in progress, zero when none.
	Outage OutageKind
}

// player is the state behind /v1/me/player. All fields are guarded by
// Server.mu.
type player struct {
	devices []Device
	active  string // ID of the active device, "" when none

	ctxURI string // "spotify:playlist:ID" or "spotify:album:ID"; "" when playing URIs
	items  []Item // the context's entries as they were when playback started
	order  []int  // play order: indexes into items of the playable entries
	pos    int    // index into order; -1 when nothing is loaded

	playing  bool
	progress time.Duration // position at anchor
	anchor   time.Time
	changed  time.Time
	shuffle  bool
	repeat   string
	rng      *rand.Rand

	outage outageState
}

func newPlayer() *player {
	return &player{pos: -1, repeat: RepeatOff, rng: rand.New(rand.NewPCG(7, 11))}
}

// AddDevice adds a Connect device, or replaces the one with the same ID.
// With IsActive set it becomes the active device and playback moves to it.
func (s *Server) AddDevice(d Device) {
	if d.Type == "" {
		d.Type = "Computer"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pl
	d.IsActive = d.IsActive || d.ID == p.active
	if i := p.device(d.ID); i >= 0 {
		p.devices[i] = d
	} else {
		p.devices = append(p.devices, d)
	}
	if d.IsActive && d.ID != p.active {
		p.settle(s.now())
		p.active = d.ID
		p.changed = s.now()
	}
}

// RemoveDevice takes a device away, as when the app on it is closed. If it
// was the active one, playback stops where it was and no device is active
// (GET /v1/me/player answers 204) until another is picked; the context and
// position are kept for a transfer. It reports false for an unknown ID.
func (s *Server) RemoveDevice(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pl
	i := p.device(id)
	if i < 0 {
		return false
	}
	p.devices = slices.Delete(p.devices, i, i+1)
	if p.active == id {
		p.settle(s.now())
		p.active = ""
		p.playing = false
		p.changed = s.now()
	}
	return true
}

// Devices lists the devices as /v1/me/player/devices does (without one
// hidden by OutageDeviceGone).
func (s *Server) Devices() []Device {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := slices.Clone(s.pl.devices)
	for i := range out {
		out[i].IsActive = out[i].ID == s.pl.active
	}
	return out
}

// SetPlaying starts playback on the fake's side, as if the user had
// pressed play in the official app.
func (s *Server) SetPlaying(pb Playback) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, now := s.pl, s.now()
	dev := pb.DeviceID
	if dev == "" {
		dev = p.active
	}
	if dev == "" && len(p.devices) > 0 {
		dev = p.devices[0].ID
	}
	if p.device(dev) < 0 {
		return fmt.Errorf("spotifytest: no device %q", dev)
	}
	var err error
	switch {
	case pb.PlaylistID != "":
		err = s.loadPlaylist(pb.PlaylistID, pb.Index, "")
	case pb.AlbumID != "":
		err = s.loadAlbum(pb.AlbumID, pb.Index, "")
	default:
		err = s.loadURIs(pb.URIs, pb.Index, "")
	}
	if err != nil {
		return fmt.Errorf("spotifytest: %w", err)
	}
	p.active = dev
	p.start(now, pb.Position, !pb.Paused)
	return nil
}

// SetPaused pauses or resumes on the fake's side, as the official app does.
func (s *Server) SetPaused(paused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, now := s.pl, s.now()
	p.settle(now)
	if p.pos >= 0 && p.playing == paused {
		p.playing = !paused
		p.changed = now
	}
}

// PlayerState returns the player's state as of Now.
func (s *Server) PlayerState() PlayerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pl
	p.settle(s.now())
	st := PlayerState{
		DeviceID: p.active, Index: -1, Progress: p.progress, IsPlaying: p.playing,
		Shuffle: p.shuffle, Repeat: p.repeat, Changed: p.changed, Outage: p.outage.Kind,
	}
	st.ContextURI = p.ctxURI
	if it := p.current(); it != nil {
		st.Index, st.ItemURI = p.order[p.pos], itemURI(*it)
	}
	if i := p.device(p.active); i >= 0 {
		st.VolumePercent = p.devices[i].VolumePercent
	}
	return st
}

func (p *player) device(id string) int {
	if id == "" {
		return -1
	}
	return slices.IndexFunc(p.devices, func(d Device) bool { return d.ID == id })
}

func (p *player) current() *Item {
	if p.pos < 0 || p.pos >= len(p.order) {
		return nil
	}
	return &p.items[p.order[p.pos]]
}

// playable says whether Spotify would play an entry through Connect: null
// entries, local files and entries without a duration are skipped.
func playable(it Item) bool {
	return duration(it) > 0
}

func duration(it Item) time.Duration {
	switch {
	case it.Track != nil:
		return time.Duration(it.Track.DurationMs) * time.Millisecond
	case it.Episode != nil:
		return time.Duration(it.Episode.DurationMs) * time.Millisecond
	}
	return 0
}

func itemURI(it Item) string {
	switch {
	case it.Track != nil:
		return "spotify:track:" + it.Track.ID
	case it.Episode != nil:
		return "spotify:episode:" + it.Episode.ID
	}
	return ""
}

// loadPlaylist makes a playlist the context, at entry index or at the
// first entry whose URI is uri. Callers hold s.mu.
func (s *Server) loadPlaylist(id string, index int, uri string) error {
	pl, ok := s.playlists[id]
	if !ok {
		return errContextNotFound
	}
	return s.pl.load("spotify:playlist:"+id, pl.Items, index, uri)
}

// AddAlbum adds an album the player can play as a context (albums are
// not synced: tapedeck only meets them in the player's state).
func (s *Server) AddAlbum(id string, tracks []Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.albums == nil {
		s.albums = map[string][]Item{}
	}
	s.albums[id] = slices.Clone(tracks)
}

// loadAlbum makes an album the context. Callers hold s.mu.
func (s *Server) loadAlbum(id string, index int, uri string) error {
	items, ok := s.albums[id]
	if !ok {
		return errContextNotFound
	}
	return s.pl.load("spotify:album:"+id, items, index, uri)
}

// loadURIs plays tracks of the fake's catalogue without a context.
func (s *Server) loadURIs(uris []string, index int, uri string) error {
	items := make([]Item, len(uris))
	for i, u := range uris {
		id, ok := strings.CutPrefix(u, "spotify:track:")
		if !ok || id == "" {
			return badRequest("Invalid track uri: " + u)
		}
		if t := s.findTrack(id); t != nil {
			items[i] = Item{Track: t}
		}
	}
	return s.pl.load("", items, index, uri)
}

// The loader's refusals. Spotify's wording for these is not documented;
// the statuses are the fake's choice.
var (
	errContextNotFound = &playerError{status: http.StatusNotFound, message: "Context not found"}
	errBadOffset       = &playerError{status: http.StatusBadRequest, message: "Invalid offset"}
	errNothingPlayable = &playerError{status: http.StatusForbidden, message: "Player command failed: Restriction violated", reason: "UNKNOWN"}
)

// findTrack looks a track up in the playlists and Liked Songs.
func (s *Server) findTrack(id string) *Track {
	for _, it := range s.liked {
		if it.Track != nil && it.Track.ID == id {
			return it.Track
		}
	}
	for _, pid := range s.order {
		for _, it := range s.playlists[pid].Items {
			if it.Track != nil && it.Track.ID == id {
				return it.Track
			}
		}
	}
	return nil
}

// load replaces the context; index (or the entry with URI uri, when set)
// is where to start, moving on to the next playable entry.
func (p *player) load(ctxURI string, items []Item, index int, uri string) error {
	if uri != "" {
		index = slices.IndexFunc(items, func(it Item) bool { return itemURI(it) == uri })
	}
	if index < 0 || index >= len(items) {
		return errBadOffset
	}
	start := slices.IndexFunc(items[index:], playable)
	if start < 0 {
		return errNothingPlayable
	}
	p.ctxURI, p.items = ctxURI, slices.Clone(items)
	p.reorder(index + start)
	return nil
}

// reorder computes the play order with the entry at cur first (shuffled)
// or in its place (not shuffled), and points pos at cur.
func (p *player) reorder(cur int) {
	p.order = p.order[:0]
	for i, it := range p.items {
		if playable(it) && (!p.shuffle || i != cur) {
			p.order = append(p.order, i)
		}
	}
	if p.shuffle {
		p.rng.Shuffle(len(p.order), func(i, j int) { p.order[i], p.order[j] = p.order[j], p.order[i] })
		p.order = slices.Insert(p.order, 0, cur)
	}
	p.pos = slices.Index(p.order, cur)
}

// start begins the current entry at pos, playing or paused.
func (p *player) start(now time.Time, pos time.Duration, playing bool) {
	p.progress, p.anchor, p.changed = max(pos, 0), now, now
	p.playing = playing
	p.settle(now) // a position past the end starts the next entry
}

// settle brings progress up to now: while playing (and not frozen) the
// position runs with the clock, and at the end of an entry playback moves
// on as repeat says. With repeat off, the end of the last entry leaves the
// player paused at the start of the first one.
func (p *player) settle(now time.Time) {
	if !p.playing || p.outage.frozen || p.current() == nil {
		p.anchor = now
		return
	}
	pos := p.progress + now.Sub(p.anchor)
	began := now.Add(-pos) // when the current entry started
	for d := duration(*p.current()); pos >= d; d = duration(*p.current()) {
		pos -= d
		began = began.Add(d)
		p.changed = began
		if p.repeat == RepeatTrack {
			continue
		}
		if !p.step(1) {
			p.pos, pos, p.playing = 0, 0, false
			break
		}
	}
	p.progress, p.anchor = pos, now
}

// step moves by delta in the play order, wrapping with repeat context. It
// reports false at either end otherwise.
func (p *player) step(delta int) bool {
	n := p.pos + delta
	if n < 0 || n >= len(p.order) {
		if p.repeat != RepeatContext || len(p.order) == 0 {
			return false
		}
		n = (n + len(p.order)) % len(p.order)
	}
	p.pos = n
	return true
}

// next skips to the next entry, as POST /me/player/next does.
func (p *player) next(now time.Time) {
	p.settle(now)
	if !p.step(1) {
		p.pos, p.playing = 0, false
	}
	p.progress, p.anchor, p.changed = 0, now, now
}

// previous goes back one entry (restarting the first one), as POST
// /me/player/previous does. Spotify's apps restart the current track
// after its first seconds; the Web API reference documents only the skip,
// which is what the fake does.
func (p *player) previous(now time.Time) {
	p.settle(now)
	p.step(-1)
	p.progress, p.anchor, p.changed = 0, now, now
}

// setShuffle reorders the rest of the context around the current entry.
func (p *player) setShuffle(now time.Time, on bool) {
	p.settle(now)
	p.shuffle = on
	if it := p.current(); it != nil {
		p.reorder(p.order[p.pos])
	}
	p.changed = now
}

// upcoming is what GET /me/player/queue lists after the current entry:
// the rest of the context (wrapping with repeat context), at most n.
func (p *player) upcoming(n int) []Item {
	var out []Item
	if p.current() == nil {
		return out
	}
	for i := 1; i < len(p.order) && len(out) < n; i++ {
		j := p.pos + i
		if j >= len(p.order) {
			if p.repeat != RepeatContext {
				break
			}
			j -= len(p.order)
		}
		out = append(out, p.items[p.order[j]])
	}
	return out
}
