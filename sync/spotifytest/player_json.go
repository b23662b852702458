package spotifytest

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// The player's objects. Unlike the catalogue objects, whose keys Spotify
// sends in alphabetical order, the playback state comes in Spotify's own
// order (device, shuffle_state, smart_shuffle, repeat_state, timestamp,
// context, progress_ms, item, currently_playing_type, actions,
// is_playing), which these structs keep.

type deviceJSON struct {
	ID               *string `json:"id"`
	IsActive         bool    `json:"is_active"`
	IsPrivateSession bool    `json:"is_private_session"`
	IsRestricted     bool    `json:"is_restricted"`
	Name             string  `json:"name"`
	SupportsVolume   bool    `json:"supports_volume"`
	Type             string  `json:"type"`
	VolumePercent    *int    `json:"volume_percent"`
}

type contextJSON struct {
	ExternalURLs externalURLs `json:"external_urls"`
	Href         string       `json:"href"`
	Type         string       `json:"type"`
	URI          string       `json:"uri"`
}

// disallowsJSON lists the actions the player refuses now; Spotify sends
// only the true ones.
type disallowsJSON struct {
	InterruptingPlayback  bool `json:"interrupting_playback,omitempty"`
	Pausing               bool `json:"pausing,omitempty"`
	Resuming              bool `json:"resuming,omitempty"`
	Seeking               bool `json:"seeking,omitempty"`
	SkippingNext          bool `json:"skipping_next,omitempty"`
	SkippingPrev          bool `json:"skipping_prev,omitempty"`
	TogglingRepeatContext bool `json:"toggling_repeat_context,omitempty"`
	TogglingShuffle       bool `json:"toggling_shuffle,omitempty"`
	TogglingRepeatTrack   bool `json:"toggling_repeat_track,omitempty"`
	TransferringPlayback  bool `json:"transferring_playback,omitempty"`
}

// actionsJSON nests the disallows object under "disallows", as Spotify
// sends it (spotify/web-api#1515), although the reference draws its fields
// directly under "actions".
type actionsJSON struct {
	Disallows disallowsJSON `json:"disallows"`
}

type currentlyPlayingJSON struct {
	Timestamp            int64        `json:"timestamp"`
	Context              *contextJSON `json:"context"`
	ProgressMs           int          `json:"progress_ms"`
	Item                 any          `json:"item"`
	CurrentlyPlayingType string       `json:"currently_playing_type"`
	Actions              actionsJSON  `json:"actions"`
	IsPlaying            bool         `json:"is_playing"`
}

type playbackStateJSON struct {
	Device       deviceJSON `json:"device"`
	ShuffleState bool       `json:"shuffle_state"`
	SmartShuffle bool       `json:"smart_shuffle"`
	RepeatState  string     `json:"repeat_state"`
	currentlyPlayingJSON
}

type devicesJSON struct {
	Devices []deviceJSON `json:"devices"`
}

type queueJSON struct {
	CurrentlyPlaying any   `json:"currently_playing"`
	Queue            []any `json:"queue"`
}

// playerError is a refused player command, sent as Spotify's error object
// with the player's "reason" when it has one.
type playerError struct {
	status  int
	message string
	reason  string
}

func (e *playerError) Error() string { return e.message }

func badRequest(msg string) error { return &playerError{status: http.StatusBadRequest, message: msg} }

func writePlayerError(w http.ResponseWriter, err error) {
	var e *playerError
	if !errors.As(err, &e) {
		e = &playerError{status: http.StatusInternalServerError, message: statusMessage(http.StatusInternalServerError)}
	}
	var j struct {
		Error struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
			Reason  string `json:"reason,omitempty"`
		} `json:"error"`
	}
	j.Error.Status, j.Error.Message, j.Error.Reason = e.status, e.message, e.reason
	writeJSON(w, e.status, j)
}

func (x render) device(d Device, active bool) deviceJSON {
	j := deviceJSON{
		ID: ptr(d.ID), IsActive: active, IsPrivateSession: d.IsPrivateSession, IsRestricted: d.IsRestricted,
		Name: d.Name, SupportsVolume: !d.NoVolume, Type: d.Type,
	}
	if !d.NoVolume {
		j.VolumePercent = ptr(d.VolumePercent)
	}
	return j
}

// playingItem renders the current entry as /me/player does: an episode is
// null unless the client asked for additional_types=episode.
func (x render) playingItem(it *Item, episodes bool) (obj any, kind string) {
	switch {
	case it == nil:
		return nil, "unknown"
	case it.Track != nil:
		return x.track(it.Track, false), "track"
	case episodes:
		return x.episode(it.Episode), "episode"
	}
	return nil, "episode"
}

// queueItem renders an entry of GET /me/player/queue, which lists episodes
// as episodes.
func (x render) queueItem(it Item) any {
	if it.Track != nil {
		return x.track(it.Track, false)
	}
	return x.episode(it.Episode)
}

// currentlyPlaying renders the playback of p, which the caller settled.
func (x render) currentlyPlaying(p *player, episodes bool) currentlyPlayingJSON {
	cur := p.current()
	item, kind := x.playingItem(cur, episodes)
	j := currentlyPlayingJSON{
		ProgressMs: int(p.progress / time.Millisecond), Item: item, CurrentlyPlayingType: kind, IsPlaying: p.playing,
	}
	if !p.changed.IsZero() {
		j.Timestamp = p.changed.UnixMilli()
	}
	if kind, id, ok := splitURI(p.ctxURI); ok && cur != nil {
		j.Context = &contextJSON{
			ExternalURLs: openURL(kind, id), Href: x.api + "/" + kind + "s/" + id,
			Type: kind, URI: p.ctxURI,
		}
	}
	d := &j.Actions.Disallows
	switch {
	case cur == nil:
		d.Resuming, d.Seeking, d.SkippingPrev, d.SkippingNext = true, true, true, true
	case p.playing:
		d.Resuming = true
	default:
		d.Pausing = true
	}
	return j
}

// splitURI splits "spotify:playlist:ID" into its kind and id.
func splitURI(uri string) (kind, id string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "spotify:")
	if !ok {
		return "", "", false
	}
	kind, id, ok = strings.Cut(rest, ":")
	return kind, id, ok && id != ""
}
