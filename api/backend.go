// Package api is tapedeck's local HTTP control API (/api/v1): JSON in and
// out, Server-Sent Events, and the security around it (Host allowlist,
// cross-site refusal, token, JSON-only changes, body caps, timeouts). The
// daemon's logic lives behind the Backend interface; this package only
// speaks HTTP.
//
// # Security
//
// The API listens on 127.0.0.1:8273 unless told otherwise; New refuses a
// non-loopback address without a token. On every listener, in this order:
//
//   - Host allowlist: loopback names, IP literals and Options.AllowedHosts;
//     any other Host is 403. A DNS-rebinding page (evil.example now
//     resolving to 127.0.0.1) still sends Host: evil.example.
//   - Cross-site signals: Sec-Fetch-Site cross-site or same-site, an Origin
//     that is not the Host asked for, and Origin: null are 403, on reads
//     too. Programs that are not browsers send none of these headers.
//   - Token: with Options.Token set, every request but /api/v1/healthz
//     needs it (Authorization: Bearer or X-API-Key; hashes compared in
//     constant time), else 401. Same-origin does not stand in for the token:
//     Origin is just a header any program can forge, so it proves nothing
//     about who sends it. Without a token (loopback only) reads are open to
//     local programs. Requests on the Unix socket need no token: its 0600
//     mode is the access control.
//   - Changes (any method but GET, HEAD and OPTIONS) need Content-Type:
//     application/json (else 415) and a body of at most 1 MiB (else 413).
//
// Why no token is needed on loopback: a page on another site can make a
// browser send a "simple" cross-origin request (form content types) with
// no preflight, but not one with Content-Type: application/json. That needs
// a CORS preflight, and the API answers none: it never sends any
// Access-Control-* header, so the browser never sends the request. Should a
// browser bug skip the preflight, the Origin and Sec-Fetch-Site checks
// still refuse it. Every answer carries X-Content-Type-Options: nosniff and
// Content-Security-Policy: frame-ancestors 'none'; the server has header,
// read and idle timeouts (event streams clear the read deadline and drop a
// client that stops reading for 10 s).
package api

import (
	"context"
	"errors"
	"time"

	"github.com/tapedeck/tapedeck/cache"
)

// Backend is what the API drives: the daemon in production, a fake in tests.
// Methods return errors from the list below (or wrapping cache.ErrNotFound)
// so the API can choose the status code; any other error is a 500.
type Backend interface {
	Status(ctx context.Context) Status

	Play(ctx context.Context, req PlayRequest) error
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	Stop(ctx context.Context) error
	Next(ctx context.Context) error
	Previous(ctx context.Context) error
	Seek(ctx context.Context, positionMs int64) error
	SetVolume(ctx context.Context, volume int) error
	// SetShuffle turns shuffle on or off, on whatever plays (Spotify or
	// the local player).
	SetShuffle(ctx context.Context, on bool) error
	// SetRepeat sets the repeat mode: "off", "all" or "one".
	SetRepeat(ctx context.Context, mode string) error
	Queue(ctx context.Context) (Queue, error)
	SetQueue(ctx context.Context, req PlayRequest) error
	// AddToQueue, RemoveFromQueue and MoveInQueue edit the queue without
	// interrupting what plays, and return it afterwards. Indexes are 0-based
	// queue positions; one outside the queue is ErrNotFound.
	AddToQueue(ctx context.Context, req QueueAddRequest) (Queue, error)
	RemoveFromQueue(ctx context.Context, index int) (Queue, error)
	MoveInQueue(ctx context.Context, from, to int) (Queue, error)

	Playlists(ctx context.Context) ([]cache.Playlist, error)
	Playlist(ctx context.Context, ref string) (cache.Playlist, []cache.PlaylistItem, error)
	Tracks(ctx context.Context, query string, limit int) ([]cache.LocalTrack, error)
	Missing(ctx context.Context, playlistRef string) ([]cache.MissingTrack, error)
	// Outages lists the Spotify outages since the daemon started, the
	// current one last (without an end).
	Outages(ctx context.Context) ([]Outage, error)
	// SetMatch records a decision (kind "pin" with a path, "reject" with a
	// path, or "none") and returns the track's match afterwards.
	SetMatch(ctx context.Context, spotifyID, kind, path string) (MatchInfo, error)
	ResetMatch(ctx context.Context, spotifyID string) (MatchInfo, error)

	// StartSync and StartScan begin work in the background and return at
	// once; progress and the result go out as events. ErrBusy if one is
	// already running. ctx is the request's: the work must not stop with it.
	StartSync(ctx context.Context) error
	StartScan(ctx context.Context) error

	// Subscribe returns a stream of events and a function to stop it. The
	// channel is closed when cancel is called or the backend shuts down.
	// The backend must never block on a full channel (drop or coalesce):
	// the API drains it, but a client may be slow.
	Subscribe() (events <-chan Event, cancel func())
}

// Errors a Backend returns that the API maps to a status code.
var (
	ErrBadRequest = errors.New("bad request")        // 400 bad_request
	ErrBusy       = errors.New("busy")               // 409 busy
	ErrNotLinked  = errors.New("spotify not linked") // 409 not_linked
	ErrNoTrack    = errors.New("nothing to play")    // 409 nothing_to_play
	ErrNotFound   = errors.New("not found")          // 404 not_found (like cache.ErrNotFound)
)

// Status is GET /api/v1/status.
type Status struct {
	State      string        `json:"state"`  // playing, paused, stopped
	Source     string        `json:"source"` // spotify, local, none
	Track      *TrackInfo    `json:"track"`
	PositionMs int64         `json:"position_ms"`
	Playlist   *PlaylistRef  `json:"playlist"`
	Index      int           `json:"index"` // position in the queue, -1 when none
	Volume     int           `json:"volume"`
	Shuffle    bool          `json:"shuffle"`
	Repeat     string        `json:"repeat"` // off, all, one
	Spotify    SpotifyStatus `json:"spotify"`
	Library    LibraryStatus `json:"library"`
	// OutputError says why the audio output does not work ("" when it does).
	OutputError string `json:"output_error,omitempty"`
}

// TrackInfo is the track playing.
type TrackInfo struct {
	SpotifyID  string   `json:"spotify_id"`
	Title      string   `json:"title"`
	Artists    []string `json:"artists"`
	Album      string   `json:"album"`
	DurationMs int64    `json:"duration_ms"`
	LocalPath  string   `json:"local_path"`
}

// PlaylistRef names the playlist playing, and how much of it can play
// from local files.
type PlaylistRef struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Items           int    `json:"items"`
	PlayableOffline int    `json:"playable_offline"`
}

// SpotifyStatus is the Spotify side of the status.
type SpotifyStatus struct {
	// Connectivity is unknown, online, degraded, offline, recovering or
	// not_linked.
	Connectivity string     `json:"connectivity"`
	Since        *time.Time `json:"since"`
	LastError    string     `json:"last_error"`
	LastSync     *time.Time `json:"last_sync"`
	// App is the Spotify app on this computer that the daemon follows over
	// MPRIS; nil when none is on the session bus.
	App *SpotifyApp `json:"app"`
}

// SpotifyApp is the Spotify desktop app or spotifyd, as it reports itself
// over MPRIS.
type SpotifyApp struct {
	Name    string `json:"name"`     // its D-Bus name
	Status  string `json:"status"`   // Playing, Paused or Stopped
	TrackID string `json:"track_id"` // "" for an ad or unknown
}

// LibraryStatus is the local side of the status.
type LibraryStatus struct {
	Tracks   int        `json:"tracks"`
	Scanning bool       `json:"scanning"`
	Syncing  bool       `json:"syncing"`
	LastScan *time.Time `json:"last_scan"`
}

// PlayRequest is POST /player/play and PUT /queue: a playlist (id, URI or
// name) from an index and position, or a list of paths.
type PlayRequest struct {
	// Source is "auto" (default: Spotify when it is reachable and has a
	// device, else local files), "local" or "spotify".
	Source     string   `json:"source,omitempty"`
	Playlist   string   `json:"playlist,omitempty"`
	Index      int      `json:"index,omitempty"`
	PositionMs int64    `json:"position_ms,omitempty"`
	Paths      []string `json:"paths,omitempty"`
}

// Queue is GET /queue.
type Queue struct {
	Playlist *PlaylistRef `json:"playlist"`
	Index    int          `json:"index"`
	Entries  []QueueEntry `json:"entries"`
}

// QueueAddRequest is POST /queue/entries: files by path, or the local copy
// of a playlist's entry Index; at the end of the queue, to play next (Next),
// or at queue position At.
type QueueAddRequest struct {
	Paths    []string `json:"paths,omitempty"`
	Playlist string   `json:"playlist,omitempty"`
	Index    *int     `json:"index,omitempty"`
	Next     bool     `json:"next,omitempty"`
	At       *int     `json:"at,omitempty"`
}

// QueueMoveRequest is POST /queue/move: entry From goes to position To.
type QueueMoveRequest struct {
	From *int `json:"from"`
	To   *int `json:"to"`
}

// QueueEntry is one queued file.
type QueueEntry struct {
	Path       string   `json:"path"`
	SpotifyID  string   `json:"spotify_id,omitempty"`
	Title      string   `json:"title"`
	Artists    []string `json:"artists"`
	DurationMs int64    `json:"duration_ms"`
}

// MatchInfo is a track's match after PUT/DELETE /matches/{id}.
type MatchInfo struct {
	SpotifyID string  `json:"spotify_id"`
	LocalPath *string `json:"local_path"`
	Method    string  `json:"method"`
	Score     float64 `json:"score"`
}

// Outage is a time Spotify was unreachable.
type Outage struct {
	Start           time.Time  `json:"start"`
	End             *time.Time `json:"end"`
	Cause           string     `json:"cause"`
	PlayedLocallyMs int64      `json:"played_locally_ms"`
}

// Event is one Server-Sent Event: its type (state, track, position,
// source, connectivity, scan, sync, error) and a JSON-encodable payload.
type Event struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}
