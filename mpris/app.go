package mpris

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	gosync "sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// The bus names a Spotify app takes: the desktop app's, and spotifyd's
// (which adds .instance<pid> in recent versions).
const (
	appName      = "org.mpris.MediaPlayer2.spotify"
	spotifydName = "org.mpris.MediaPlayer2.spotifyd"
)

// IsSpotifyApp reports whether a bus name is a Spotify app's.
func IsSpotifyApp(name string) bool {
	return name == appName || name == spotifydName || strings.HasPrefix(name, spotifydName+".")
}

// AppState is one reading of the Spotify app on the session bus.
type AppState struct {
	At time.Time
	// Name is the app's bus name; "" when no Spotify app is on the bus.
	Name string
	// Status is its PlaybackStatus: "Playing", "Paused" or "Stopped".
	Status string
	// TrackID is the Spotify id of its track, "" for an ad or when its
	// metadata names none.
	TrackID string
	// PositionMs is its Position (MPRIS gives microseconds).
	PositionMs int64
}

// appCallTimeout bounds one call to the app: a hung app must not hold the
// watcher, nor a fail-over that pauses it.
const appCallTimeout = time.Second

// AppWatcher follows the Spotify desktop app (or spotifyd) on a D-Bus bus: its PlaybackStatus, track and Position, read without any
// network, and pauses it on request. It never starts an app, nor a bus.
type AppWatcher struct {
	log   *slog.Logger
	bus   Bus
	every time.Duration

	mu   gosync.Mutex
	conn *dbus.Conn
	apps map[string]bool // Spotify app names on the bus
}

// NewAppWatcher returns a watcher that reads the app on bus every `every`
// (and on its signals) once Run is called.
func NewAppWatcher(log *slog.Logger, bus Bus, every time.Duration) *AppWatcher {
	return &AppWatcher{log: log, bus: bus, every: every, apps: map[string]bool{}}
}

// Run watches until ctx ends, calling report after every reading: at least
// every `every`, and at once when an app appears, goes or changes. Without
// a session bus it logs once and waits for ctx.
func (w *AppWatcher) Run(ctx context.Context, report func(AppState)) error {
	bus := w.bus.Pick(os.Getenv)
	conn, err := connect(bus)
	if err != nil {
		w.log.Info("no D-Bus "+busName(bus, w.bus == AutoBus)+" bus: not watching a Spotify app", "err", err)
		<-ctx.Done()
		return nil
	}
	defer conn.Close()
	signals := make(chan *dbus.Signal, 32)
	conn.Signal(signals)
	for _, opts := range [][]dbus.MatchOption{
		{dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"),
			dbus.WithMatchArg0Namespace("org.mpris.MediaPlayer2")},
		{dbus.WithMatchInterface(ifaceProps), dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchObjectPath(ObjectPath)},
	} {
		if err := conn.AddMatchSignalContext(ctx, opts...); err != nil {
			w.log.Warn("cannot watch the Spotify app over D-Bus", "err", err)
			<-ctx.Done()
			return nil
		}
	}
	var names []string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		w.log.Warn("cannot list D-Bus names", "err", err)
	}
	w.mu.Lock()
	w.conn = conn
	for _, n := range names {
		if IsSpotifyApp(n) {
			w.apps[n] = true
		}
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.conn = nil
		w.mu.Unlock()
	}()

	tick := time.NewTicker(w.every)
	defer tick.Stop()
	var last AppState
	for {
		st := w.read(ctx)
		if st.Name != last.Name || st.Status != last.Status {
			w.log.Debug("Spotify app", "name", st.Name, "status", st.Status, "track", st.TrackID)
		}
		last = st
		report(st)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case sig, ok := <-signals:
			if !ok {
				w.log.Warn("D-Bus connection closed: no longer watching the Spotify app")
				<-ctx.Done()
				return nil
			}
			w.signal(sig)
		}
	}
}

// signal notes an app arriving or leaving. Any other signal only causes a
// reading.
func (w *AppWatcher) signal(sig *dbus.Signal) {
	if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
		return
	}
	name, _ := sig.Body[0].(string)
	owner, _ := sig.Body[2].(string)
	if !IsSpotifyApp(name) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if owner == "" {
		delete(w.apps, name)
	} else {
		w.apps[name] = true
	}
}

// read is the state of the app to follow: the first one playing, else the
// first one present (by name, so the choice is stable).
func (w *AppWatcher) read(ctx context.Context) AppState {
	now := time.Now()
	var found []AppState
	for _, name := range w.names() {
		st, err := w.readApp(ctx, name)
		if err != nil {
			var de dbus.Error
			if errors.As(err, &de) && de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" {
				w.mu.Lock()
				delete(w.apps, name)
				w.mu.Unlock()
			} else if ctx.Err() == nil {
				w.log.Debug("reading the Spotify app", "name", name, "err", err)
			}
			continue
		}
		if st.Status == "Playing" {
			return st
		}
		found = append(found, st)
	}
	if len(found) > 0 {
		return found[0]
	}
	return AppState{At: now}
}

func (w *AppWatcher) names() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.apps))
	for n := range w.apps {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (w *AppWatcher) readApp(ctx context.Context, name string) (AppState, error) {
	w.mu.Lock()
	conn := w.conn
	w.mu.Unlock()
	if conn == nil {
		return AppState{}, errors.New("no session bus")
	}
	ctx, cancel := context.WithTimeout(ctx, appCallTimeout)
	defer cancel()
	var props map[string]dbus.Variant
	err := conn.Object(name, ObjectPath).CallWithContext(ctx, ifaceProps+".GetAll", 0, ifacePlayer).Store(&props)
	if err != nil {
		return AppState{}, err
	}
	st := AppState{At: time.Now(), Name: name, Status: "Stopped"}
	if v, ok := props["PlaybackStatus"].Value().(string); ok {
		st.Status = v
	}
	if us, ok := integer(props["Position"]); ok {
		st.PositionMs = us / 1000
	}
	if md, ok := props["Metadata"].Value().(map[string]dbus.Variant); ok {
		st.TrackID = SpotifyTrackID(md)
	}
	return st, nil
}

// integer is v's value when it is any D-Bus integer type (apps differ:
// the specification says x, some send t or i).
func integer(v dbus.Variant) (int64, bool) {
	switch x := v.Value().(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	}
	return 0, false
}

// SpotifyTrackID is the Spotify track id in an app's MPRIS metadata: its
// mpris:trackid ("spotify:track:ID" in older desktop apps and spotifyd,
// "/com/spotify/track/ID" in newer ones, a string rather than the object
// path the specification asks for), else its xesam:url
// ("https://open.spotify.com/track/ID"). "" for an ad, an episode or
// anything else.
func SpotifyTrackID(md map[string]dbus.Variant) string {
	for _, key := range []string{"mpris:trackid", "xesam:url"} {
		var s string
		switch x := md[key].Value().(type) {
		case string:
			s = x
		case dbus.ObjectPath:
			s = string(x)
		default:
			continue
		}
		for _, sep := range []string{"spotify:track:", "/track/"} {
			if i := strings.LastIndex(s, sep); i >= 0 {
				id, _, _ := strings.Cut(s[i+len(sep):], "?")
				if isBase62(id) {
					return id
				}
			}
		}
	}
	return ""
}

func isBase62(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Pause pauses every Spotify app on the bus, over D-Bus alone: it works
// when the Web API cannot be reached. Pausing a paused app does nothing.
func (w *AppWatcher) Pause(ctx context.Context) error {
	w.mu.Lock()
	conn := w.conn
	w.mu.Unlock()
	if conn == nil {
		return errors.New("not watching a session bus")
	}
	var errs []error
	for _, name := range w.names() {
		cctx, cancel := context.WithTimeout(ctx, appCallTimeout)
		call := conn.Object(name, ObjectPath).CallWithContext(cctx, ifacePlayer+".Pause", 0)
		cancel()
		if call.Err != nil {
			errs = append(errs, fmt.Errorf("pause %s: %w", name, call.Err))
		}
	}
	return errors.Join(errs...)
}
