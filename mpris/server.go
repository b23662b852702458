package mpris

import (
	"context"
	"hash/fnv"
	"log/slog"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"github.com/tapedeck/tapedeck/api"
)

// noTrack is the track id MPRIS reserves for "nothing loaded".
const noTrack = dbus.ObjectPath("/org/mpris/MediaPlayer2/TrackList/NoTrack")

// seekSlack is how far the position may stray from where playback alone
// would have taken it before we call it a seek and send Seeked.
const seekSlack = 1500 * time.Millisecond

// server is one MPRIS player on one connection.
type server struct {
	ctx   context.Context // Run's: backend calls stop with the daemon
	b     api.Backend
	log   *slog.Logger
	conn  *dbus.Conn
	props *prop.Properties

	mu     gosync.Mutex
	last   api.Status // what the properties show
	lastAt time.Time  // when last was read
}

// call returns a context for one backend call.
func (s *server) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, callTimeout)
}

func (s *server) status() api.Status {
	ctx, cancel := s.call()
	defer cancel()
	return s.b.Status(ctx)
}

// propMap is the properties of both interfaces as st shows them.
func (s *server) propMap(st api.Status) prop.Map {
	c := func(v any) *prop.Prop { return &prop.Prop{Value: v, Emit: prop.EmitConst} }
	ch := func(v any) *prop.Prop { return &prop.Prop{Value: v, Emit: prop.EmitTrue} }
	return prop.Map{
		ifaceRoot: {
			"Identity":            c("tapedeck"),
			"CanQuit":             c(false),
			"CanRaise":            c(false),
			"HasTrackList":        c(false),
			"SupportedUriSchemes": c([]string{"file"}),
			"SupportedMimeTypes": c([]string{"audio/mpeg", "audio/flac", "audio/ogg", "audio/x-vorbis+ogg",
				"audio/wav", "audio/x-wav"}),
		},
		ifacePlayer: {
			"PlaybackStatus": ch(playbackStatus(st.State)),
			"LoopStatus":     {Value: loopStatus(st.Repeat), Emit: prop.EmitTrue, Writable: true, Callback: s.setLoopStatus},
			"Rate":           c(1.0),
			"MinimumRate":    c(1.0),
			"MaximumRate":    c(1.0),
			"Shuffle":        {Value: st.Shuffle, Emit: prop.EmitTrue, Writable: true, Callback: s.setShuffle},
			"Metadata":       ch(metadata(st.Track)),
			"Volume":         {Value: volume(st.Volume), Emit: prop.EmitTrue, Writable: true, Callback: s.setVolume},
			"Position":       {Value: st.PositionMs * 1000, Emit: prop.EmitFalse},
			"CanGoNext":      c(true),
			"CanGoPrevious":  c(true),
			"CanPlay":        c(true),
			"CanPause":       c(true),
			"CanSeek":        c(true),
			"CanControl":     c(true),
		},
	}
}

// watch keeps the properties in step with the backend until ctx ends.
func (s *server) watch(ctx context.Context) {
	events, cancel := s.b.Subscribe()
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-events:
			if !ok {
				events = nil // the backend is shutting down: the poll goes on
				continue
			}
		}
		s.refresh(s.status())
	}
}

// refresh sets the properties from st, sending PropertiesChanged for those
// that changed, and Seeked when the position jumped.
func (s *server) refresh(st api.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	old, oldAt := s.last, s.lastAt
	s.last, s.lastAt = st, now
	s.props.SetMust(ifacePlayer, "Position", st.PositionMs*1000)
	if playbackStatus(st.State) != playbackStatus(old.State) {
		s.props.SetMust(ifacePlayer, "PlaybackStatus", playbackStatus(st.State))
	}
	// Against the property, not old: a Set stores what the client asked
	// for, which the backend may have refused or rounded.
	if v := volume(st.Volume); s.props.GetMust(ifacePlayer, "Volume") != v {
		s.props.SetMust(ifacePlayer, "Volume", v)
	}
	if v := loopStatus(st.Repeat); s.props.GetMust(ifacePlayer, "LoopStatus") != v {
		s.props.SetMust(ifacePlayer, "LoopStatus", v)
	}
	if s.props.GetMust(ifacePlayer, "Shuffle") != st.Shuffle {
		s.props.SetMust(ifacePlayer, "Shuffle", st.Shuffle)
	}
	if !reflect.DeepEqual(st.Track, old.Track) {
		s.props.SetMust(ifacePlayer, "Metadata", metadata(st.Track))
		return // a new track starts where it starts: no Seeked
	}
	want := old.PositionMs
	if old.State == "playing" {
		want += now.Sub(oldAt).Milliseconds()
	}
	if st.Track != nil && st.State != "stopped" && absMs(st.PositionMs-want) > seekSlack.Milliseconds() {
		s.emitSeeked(st.PositionMs)
	}
}

// seeked records a seek we made and sends Seeked for it.
func (s *server) seeked(positionMs int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last.PositionMs, s.lastAt = positionMs, time.Now()
	s.props.SetMust(ifacePlayer, "Position", positionMs*1000)
	s.emitSeeked(positionMs)
}

func (s *server) emitSeeked(positionMs int64) {
	if err := s.conn.Emit(ObjectPath, ifacePlayer+".Seeked", positionMs*1000); err != nil {
		s.log.Debug("sending Seeked", "err", err)
	}
}

func absMs(ms int64) int64 {
	if ms < 0 {
		return -ms
	}
	return ms
}

func playbackStatus(state string) string {
	switch state {
	case "playing":
		return "Playing"
	case "paused":
		return "Paused"
	}
	return "Stopped"
}

func volume(v int) float64 { return float64(v) / 100 }

// loopStatus is MPRIS's name for a repeat mode.
func loopStatus(repeat string) string {
	switch repeat {
	case "one":
		return "Track"
	case "all":
		return "Playlist"
	}
	return "None"
}

// metadata is the MPRIS Metadata map of t: only the track id when there
// is no track.
func metadata(t *api.TrackInfo) map[string]dbus.Variant {
	if t == nil {
		return map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant(noTrack)}
	}
	m := map[string]dbus.Variant{
		"mpris:trackid": dbus.MakeVariant(TrackID(t)),
		"xesam:title":   dbus.MakeVariant(t.Title),
		"xesam:artist":  dbus.MakeVariant(append([]string{}, t.Artists...)),
		"xesam:album":   dbus.MakeVariant(t.Album),
		"mpris:length":  dbus.MakeVariant(t.DurationMs * 1000),
	}
	if t.LocalPath != "" {
		m["xesam:url"] = dbus.MakeVariant((&url.URL{Scheme: "file", Path: t.LocalPath}).String())
	}
	return m
}

// TrackID is the MPRIS track id of t: /org/tapedeck/track/ and its Spotify
// id, or for a local file without one, "local_" and a hash of its path
// (a path has characters an object path cannot hold, and two paths must
// not end up the same id).
func TrackID(t *api.TrackInfo) dbus.ObjectPath {
	if t.SpotifyID != "" {
		return dbus.ObjectPath("/org/tapedeck/track/" + sanitise(t.SpotifyID))
	}
	h := fnv.New64a()
	h.Write([]byte(t.LocalPath))
	return dbus.ObjectPath("/org/tapedeck/track/local_" + strconv.FormatUint(h.Sum64(), 16))
}

// sanitise keeps what an object path element may hold ([A-Za-z0-9_]) and
// turns anything else into '_'.
func sanitise(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
