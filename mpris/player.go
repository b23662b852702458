package mpris

import (
	"context"
	"errors"
	"math"
	"net/url"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"github.com/tapedeck/tapedeck/api"
)

// root is org.mpris.MediaPlayer2. tapedeck has no window to raise, and
// quitting is the service manager's job: both are no-ops (CanRaise and
// CanQuit say so).
type root struct{}

// Raise implements org.mpris.MediaPlayer2.Raise.
func (root) Raise() *dbus.Error { return nil }

// Quit implements org.mpris.MediaPlayer2.Quit.
func (root) Quit() *dbus.Error { return nil }

// player is org.mpris.MediaPlayer2.Player: each method one backend call.
type player struct{ s *server }

// Next implements org.mpris.MediaPlayer2.Player.Next.
func (p *player) Next() *dbus.Error { return p.do(p.s.b.Next) }

// Previous implements org.mpris.MediaPlayer2.Player.Previous.
func (p *player) Previous() *dbus.Error { return p.do(p.s.b.Previous) }

// Pause implements org.mpris.MediaPlayer2.Player.Pause.
func (p *player) Pause() *dbus.Error { return p.do(p.s.b.Pause) }

// Stop implements org.mpris.MediaPlayer2.Player.Stop.
func (p *player) Stop() *dbus.Error { return p.do(p.s.b.Stop) }

// Play implements org.mpris.MediaPlayer2.Player.Play: resume when paused,
// else play the queue.
func (p *player) Play() *dbus.Error {
	switch p.s.status().State {
	case "playing":
		return nil
	case "paused":
		return p.do(p.s.b.Resume)
	}
	return p.do(p.playQueue)
}

// PlayPause implements org.mpris.MediaPlayer2.Player.PlayPause.
func (p *player) PlayPause() *dbus.Error {
	if p.s.status().State == "playing" {
		return p.do(p.s.b.Pause)
	}
	return p.Play()
}

// SeekBy implements org.mpris.MediaPlayer2.Player.Seek (exported under
// that name; a Go method called Seek would look like io.Seeker's): offset
// in µs from the position now; past the end goes to the next track.
func (p *player) SeekBy(offsetUs int64) *dbus.Error {
	st := p.s.status()
	if st.Track == nil {
		return nil
	}
	ms := max(st.PositionMs+offsetUs/1000, 0)
	if st.Track.DurationMs > 0 && ms >= st.Track.DurationMs {
		return p.do(p.s.b.Next)
	}
	return p.seek(ms)
}

// SetPosition implements org.mpris.MediaPlayer2.Player.SetPosition. As the
// specification asks, a stale track id or a position outside the track is
// ignored.
func (p *player) SetPosition(track dbus.ObjectPath, positionUs int64) *dbus.Error {
	st := p.s.status()
	if st.Track == nil || TrackID(st.Track) != track {
		return nil
	}
	ms := positionUs / 1000
	if ms < 0 || st.Track.DurationMs > 0 && ms > st.Track.DurationMs {
		return nil
	}
	return p.seek(ms)
}

// OpenUri implements org.mpris.MediaPlayer2.Player.OpenUri for file://
// URIs: the file plays at once.
func (p *player) OpenUri(uri string) *dbus.Error {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Path == "" {
		return dbus.MakeFailedError(errors.New("only file:// URIs can be opened"))
	}
	return p.do(func(ctx context.Context) error {
		return p.s.b.Play(ctx, api.PlayRequest{Source: "local", Paths: []string{u.Path}})
	})
}

func (p *player) playQueue(ctx context.Context) error { return p.s.b.Play(ctx, api.PlayRequest{}) }

func (p *player) seek(ms int64) *dbus.Error {
	if err := p.do(func(ctx context.Context) error { return p.s.b.Seek(ctx, ms) }); err != nil {
		return err
	}
	p.s.seeked(ms)
	return nil
}

// do makes one backend call for a D-Bus request.
func (p *player) do(f func(context.Context) error) *dbus.Error { return p.s.do(f) }

// do makes one backend call for a D-Bus request or property change.
func (s *server) do(f func(context.Context) error) *dbus.Error {
	ctx, cancel := s.call()
	defer cancel()
	if err := f(ctx); err != nil {
		s.log.Debug("MPRIS request failed", "err", err)
		return dbus.MakeFailedError(err)
	}
	return nil
}

// setVolume is the Volume property's Set: MPRIS says 0.0 to 1.0, with
// anything below 0 meaning 0 (and we take anything above 1 as 1).
func (s *server) setVolume(c *prop.Change) *dbus.Error {
	v, _ := c.Value.(float64)
	pct := int(math.Round(min(max(v, 0), 1) * 100))
	return s.do(func(ctx context.Context) error { return s.b.SetVolume(ctx, pct) })
}

// setShuffle is the Shuffle property's Set.
func (s *server) setShuffle(c *prop.Change) *dbus.Error {
	on, ok := c.Value.(bool)
	if !ok {
		return dbus.MakeFailedError(errors.New("Shuffle is a boolean"))
	}
	return s.do(func(ctx context.Context) error { return s.b.SetShuffle(ctx, on) })
}

// setLoopStatus is the LoopStatus property's Set: None, Track or Playlist.
func (s *server) setLoopStatus(c *prop.Change) *dbus.Error {
	v, _ := c.Value.(string)
	mode, ok := map[string]string{"None": "off", "Track": "one", "Playlist": "all"}[v]
	if !ok {
		return dbus.MakeFailedError(errors.New(`LoopStatus is "None", "Track" or "Playlist"`))
	}
	return s.do(func(ctx context.Context) error { return s.b.SetRepeat(ctx, mode) })
}

// liveProps is org.freedesktop.DBus.Properties over prop.Properties, with
// Position read from the backend at each request: MPRIS never signals its
// changes, so clients ask for it when they need it.
type liveProps struct{ s *server }

// Get implements org.freedesktop.DBus.Properties.Get.
func (l *liveProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	if iface == ifacePlayer && name == "Position" {
		return dbus.MakeVariant(l.s.status().PositionMs * 1000), nil
	}
	return l.s.props.Get(iface, name)
}

// GetAll implements org.freedesktop.DBus.Properties.GetAll.
func (l *liveProps) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	m, err := l.s.props.GetAll(iface)
	if err == nil && iface == ifacePlayer {
		m["Position"] = dbus.MakeVariant(l.s.status().PositionMs * 1000)
	}
	return m, err
}

// Set implements org.freedesktop.DBus.Properties.Set.
func (l *liveProps) Set(iface, name string, v dbus.Variant) *dbus.Error {
	return l.s.props.Set(iface, name, v)
}
