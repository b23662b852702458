package spotifytest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	gosync "sync"
	"time"
)

// KeyMode says under which keys an entry's track or episode is sent, and a
// playlist's entries: the 2026 names ("item", "items"), the deprecated ones
// ("track", "tracks") or both.
type KeyMode int

const (
	// KeysItem sends only the 2026 keys, as dev-mode apps get after the
	// deprecation window.
	KeysItem KeyMode = iota
	// KeysBoth sends both, as during the deprecation window.
	KeysBoth
	// KeysTrack sends only the old keys, as some accounts still got early
	// in the window.
	KeysTrack
)

// String is the mode's name as the fakespotify command's -keys flag takes it.
func (k KeyMode) String() string {
	switch k {
	case KeysBoth:
		return "both"
	case KeysTrack:
		return "track"
	}
	return "item"
}

func (k KeyMode) item() bool  { return k != KeysTrack }
func (k KeyMode) track() bool { return k != KeysItem }

// Page sizes, as in Spotify's 2026 reference for GET /me/playlists,
// GET /playlists/{id}/items and GET /me/tracks.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 50
)

// DefaultClientID is the client ID the fake accepts unless told otherwise.
const DefaultClientID = "test-client"

// Server is a fake Spotify Web API and accounts service on a real loopback
// listener. Create it with New or Listen; close it with Close.
type Server struct {
	// URL is the base address, http://127.0.0.1:PORT, with no trailing slash.
	URL string

	// ClientID is the only client ID the accounts service accepts.
	ClientID string
	// RedirectURIs, when not empty, are the only redirect URIs accepted (as
	// registered in Spotify's dashboard); when empty any loopback URI is.
	RedirectURIs []string
	// DenyAuthorization makes /authorize redirect with error=access_denied,
	// as when the user presses Cancel.
	DenyAuthorization bool
	// TokenTTL is the lifetime of access tokens (default one hour).
	TokenTTL time.Duration
	// Now is the clock for token expiry (default time.Now).
	Now func() time.Time

	// Keys chooses the key names of entries and entry lists (default KeysItem).
	Keys KeyMode
	// ExtendedQuota adds the fields dev-mode apps lost in February 2026
	// (country, email, product on /me; popularity on tracks).
	ExtendedQuota bool
	// PageLimitMax is the largest limit accepted (default MaxPageLimit).
	PageLimitMax int

	ts     *httptest.Server
	done   chan struct{}
	routes []string

	mu        gosync.RWMutex
	user      User
	order     []string // playlist IDs as /me/playlists lists them
	playlists map[string]*Playlist
	liked     []Item
	albums    map[string][]Item // album contexts the player can play (AddAlbum)
	auth      authState
	faults    map[string][]*faultState
	counts    map[string]int
	total     int
	pl        *player // Connect devices and playback (player*.go)

	ln *switchListener // lets OutageRefuse stop and restart listening
}

// New starts a fake on 127.0.0.1 with a free port. It panics if it cannot
// listen, like httptest.NewServer.
func New() *Server {
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("spotifytest: %v", err))
	}
	return s
}

// Listen starts a fake on addr ("127.0.0.1:0" for a free port).
func Listen(addr string) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{
		ClientID:     DefaultClientID,
		TokenTTL:     time.Hour,
		Now:          time.Now,
		PageLimitMax: MaxPageLimit,
		done:         make(chan struct{}),
		user:         User{ID: "tapedeck-user", DisplayName: "Tapedeck Tester", Country: "DE", Email: "tester@example.com", Product: "premium"},
		playlists:    map[string]*Playlist{},
		faults:       map[string][]*faultState{},
		counts:       map[string]int{},
		pl:           newPlayer(),
		ln:           newSwitchListener(l),
	}
	s.auth.init()
	s.ts = httptest.NewUnstartedServer(s.mux())
	s.ts.Listener.Close()
	s.ts.Listener = s.ln
	s.ts.Start()
	s.URL = s.ts.URL
	return s, nil
}

// APIURL is the Web API base, URL + "/v1" (tapedeck's spotify.api_url).
func (s *Server) APIURL() string { return s.URL + "/v1" }

// AccountsURL is the accounts service base (spotify.accounts_url), serving
// /authorize and /api/token.
func (s *Server) AccountsURL() string { return s.URL }

// Close releases requests held by Hang faults, then shuts the server down
// and waits for its handlers to return.
func (s *Server) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Routes lists the route patterns the fake serves, as Fault and Requests
// name them.
func (s *Server) Routes() []string { return slices.Clone(s.routes) }

// SetUser replaces the current user.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// AddPlaylist appends a playlist to the user's library, or replaces the one
// with the same ID in place.
func (s *Server) AddPlaylist(p Playlist) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.playlists[p.ID]; !ok {
		s.order = append(s.order, p.ID)
	}
	s.playlists[p.ID] = s.prepare(p)
}

// UpdatePlaylist replaces a playlist, keeping its place in the library. It
// reports false if there is no playlist with that ID.
func (s *Server) UpdatePlaylist(p Playlist) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.playlists[p.ID]; !ok {
		return false
	}
	s.playlists[p.ID] = s.prepare(p)
	return true
}

// RemovePlaylist takes a playlist out of the library (as unfollowing does):
// it disappears from /me/playlists and its ID answers 404.
func (s *Server) RemovePlaylist(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.playlists[id]; !ok {
		return false
	}
	delete(s.playlists, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
	return true
}

// Playlist returns a copy of a stored playlist, with its SnapshotID filled.
func (s *Server) Playlist(id string) (Playlist, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.playlists[id]
	if !ok {
		return Playlist{}, false
	}
	c := *p
	c.Items = slices.Clone(p.Items)
	return c, true
}

// SetLiked replaces Liked Songs (GET /v1/me/tracks), newest first as
// Spotify lists them. Entries without a Track are ignored.
func (s *Server) SetLiked(items []Item) {
	liked := make([]Item, 0, len(items))
	for _, it := range items {
		if it.Track != nil {
			liked = append(liked, it)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.liked = liked
}

// prepare copies p (so the caller may reuse its slices) and fills defaults.
// Callers hold s.mu.
func (s *Server) prepare(p Playlist) *Playlist {
	p.Items = slices.Clone(p.Items)
	if p.OwnerID == "" {
		p.OwnerID = s.user.ID
	}
	if p.OwnerName == "" && p.OwnerID == s.user.ID {
		p.OwnerName = s.user.DisplayName
	}
	if p.SnapshotID == "" {
		p.SnapshotID = snapshot(&p)
	}
	return &p
}

// Requests is how many requests reached route (a pattern from Routes),
// faulted ones included.
func (s *Server) Requests(route string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counts[route]
}

// TotalRequests is how many requests the server received, unknown routes
// included.
func (s *Server) TotalRequests() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.total
}

// ResetCounts sets all request counters, Refreshes included, to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
	s.total = 0
	s.auth.refreshes = 0
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// mux routes requests; each route is counted, then held or refused by an
// outage, then faulted, then (for the API) authenticated.
func (s *Server) mux() http.Handler {
	m := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) {
		s.routes = append(s.routes, pattern)
		m.Handle(pattern, s.instrument(pattern, h))
	}
	handle("GET /authorize", s.handleAuthorize)
	handle("POST /api/token", s.handleToken)
	handle("GET /v1/me", s.api("", s.handleMe))
	handle("GET /v1/me/playlists", s.api("", s.handleMyPlaylists))
	handle("GET /v1/me/tracks", s.api("user-library-read", s.handleLiked))
	handle("GET /v1/playlists/{id}", s.api("", s.handlePlaylist))
	handle("GET /v1/playlists/{id}/items", s.api("", s.handlePlaylistItems))
	handle("GET /v1/playlists/{id}/tracks", s.api("", s.handleOldTracks))
	s.playerRoutes(handle)
	m.Handle("/", s.instrument("", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Service not found")
	}))
	return m
}

func (s *Server) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.total++
		if route != "" {
			s.counts[route]++
		}
		s.mu.Unlock()
		if !s.passOutage(w, r) {
			return
		}
		s.mu.Lock()
		f := s.takeFault(route)
		s.mu.Unlock()
		if f != nil {
			s.applyFault(w, r, f, h)
			return
		}
		h(w, r)
	})
}
