package mpris

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tapedeck/tapedeck/mpris/mpristest"
)

func TestSpotifyTrackID(t *testing.T) {
	const id = "4uLU6hMCjMI75M1A2tKUQC"
	for name, tc := range map[string]struct {
		md   map[string]dbus.Variant
		want string
	}{
		"desktop app, new":       {map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant("/com/spotify/track/" + id)}, id},
		"desktop app, old":       {map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant("spotify:track:" + id)}, id},
		"object path":            {map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant(dbus.ObjectPath("/org/spotifyd/track/" + id))}, id},
		"url only, with a query": {map[string]dbus.Variant{"xesam:url": dbus.MakeVariant("https://open.spotify.com/track/" + id + "?si=abc")}, id},
		"ad":                     {map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant("spotify:ad:000000012c603a6600000020316a17a1")}, ""},
		"episode":                {map[string]dbus.Variant{"xesam:url": dbus.MakeVariant("https://open.spotify.com/episode/" + id)}, ""},
		"no track":               {map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant(dbus.ObjectPath("/org/mpris/MediaPlayer2/TrackList/NoTrack"))}, ""},
		"wrong type":             {map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant(42)}, ""},
		"empty":                  {nil, ""},
	} {
		if got := SpotifyTrackID(tc.md); got != tc.want {
			t.Errorf("%s: SpotifyTrackID = %q, want %q", name, got, tc.want)
		}
	}
}

func TestIsSpotifyApp(t *testing.T) {
	for name, want := range map[string]bool{
		"org.mpris.MediaPlayer2.spotify":                  true,
		"org.mpris.MediaPlayer2.spotifyd":                 true,
		"org.mpris.MediaPlayer2.spotifyd.instance4242":    true,
		"org.mpris.MediaPlayer2.tapedeck":                 false,
		"org.mpris.MediaPlayer2.spotify_player":           false,
		"org.mpris.MediaPlayer2.chromium.instance12":      false,
		"org.mpris.MediaPlayer2.spotifydx":                false,
		"org.mpris.MediaPlayer2.spotify.instance1.nested": false,
	} {
		if got := IsSpotifyApp(name); got != want {
			t.Errorf("IsSpotifyApp(%q) = %v, want %v", name, got, want)
		}
	}
}

// watching runs an AppWatcher on the test bus and keeps its last report.
type watching struct {
	w    *AppWatcher
	mu   gosync.Mutex
	last AppState
	n    int
}

func startWatcher(t *testing.T, every time.Duration) *watching {
	t.Helper()
	ws := &watching{w: NewAppWatcher(slog.New(slog.DiscardHandler), SessionBus, every)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ws.w.Run(ctx, func(s AppState) {
			ws.mu.Lock()
			ws.last, ws.n = s, ws.n+1
			ws.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	ws.await(t, "the first report", func(AppState) bool { return true })
	return ws
}

func (ws *watching) await(t *testing.T, what string, cond func(AppState) bool) AppState {
	t.Helper()
	var last AppState
	waitFor(t, what, func() bool {
		ws.mu.Lock()
		defer ws.mu.Unlock()
		last = ws.last
		return ws.n > 0 && cond(ws.last)
	})
	return last
}

const rickID = "4uLU6hMCjMI75M1A2tKUQC"

func TestAppWatcherFollowsTheApp(t *testing.T) {
	mpristest.StartBus(t)
	ws := startWatcher(t, 100*time.Millisecond)
	if st := ws.await(t, "no app", func(AppState) bool { return true }); st.Name != "" {
		t.Fatalf("report with no app on the bus: %+v", st)
	}

	app := mpristest.NewSpotifyApp(t, "org.mpris.MediaPlayer2.spotify")
	ws.await(t, "the app stopped", func(s AppState) bool { return s.Name == "org.mpris.MediaPlayer2.spotify" && s.Status == "Stopped" })

	app.Play(rickID, 10_000)
	first := ws.await(t, "the app playing", func(s AppState) bool { return s.Status == "Playing" && s.TrackID == rickID })
	moved := ws.await(t, "its position moving", func(s AppState) bool { return s.PositionMs >= first.PositionMs+300 })
	if first.PositionMs < 10_000 || moved.PositionMs > 20_000 {
		t.Errorf("positions %d then %d ms, want from 10 s on, in step with the clock", first.PositionMs, moved.PositionMs)
	}

	app.Freeze()
	_, _, frozenAt := app.State()
	time.Sleep(400 * time.Millisecond) // four readings
	st := ws.await(t, "a reading after the freeze", func(s AppState) bool { return s.At.After(moved.At) })
	if st.Status != "Playing" || st.PositionMs != frozenAt {
		t.Errorf("frozen app read as %s at %d ms, want Playing at %d ms", st.Status, st.PositionMs, frozenAt)
	}

	if err := ws.w.Pause(context.Background()); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	if calls := app.Calls(); !slices.Equal(calls, []string{"Pause"}) {
		t.Errorf("calls on the app = %q, want [Pause]", calls)
	}
	ws.await(t, "the app paused", func(s AppState) bool { return s.Status == "Paused" })

	app.Quit()
	ws.await(t, "the app gone", func(s AppState) bool { return s.Name == "" })
}

// With readings only once an hour, signals alone bring the news: the app
// arriving (NameOwnerChanged), playing (PropertiesChanged), leaving.
func TestAppWatcherSignals(t *testing.T) {
	mpristest.StartBus(t)
	ws := startWatcher(t, time.Hour)
	app := mpristest.NewSpotifyApp(t, "org.mpris.MediaPlayer2.spotifyd.instance4242")
	ws.await(t, "spotifyd on the bus", func(s AppState) bool { return s.Name == "org.mpris.MediaPlayer2.spotifyd.instance4242" })
	app.Play(rickID, 0)
	ws.await(t, "spotifyd playing", func(s AppState) bool { return s.Status == "Playing" && s.TrackID == rickID })
	app.Quit()
	ws.await(t, "spotifyd gone", func(s AppState) bool { return s.Name == "" })
}

// Of two apps, the one playing is followed, and Pause pauses both.
func TestAppWatcherTwoApps(t *testing.T) {
	mpristest.StartBus(t)
	ws := startWatcher(t, 100*time.Millisecond)
	desktop := mpristest.NewSpotifyApp(t, "org.mpris.MediaPlayer2.spotify")
	daemon := mpristest.NewSpotifyApp(t, "org.mpris.MediaPlayer2.spotifyd")
	daemon.Play(rickID, 0)
	ws.await(t, "spotifyd followed", func(s AppState) bool { return s.Name == "org.mpris.MediaPlayer2.spotifyd" && s.Status == "Playing" })
	if err := ws.w.Pause(context.Background()); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	for _, a := range []*mpristest.SpotifyApp{desktop, daemon} {
		if calls := a.Calls(); !slices.Equal(calls, []string{"Pause"}) {
			t.Errorf("calls = %q, want [Pause]", calls)
		}
	}
}

func TestAppWatcherNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	var logs bytes.Buffer
	w := NewAppWatcher(slog.New(slog.NewTextHandler(&logs, nil)), SessionBus, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	reports := 0
	if err := w.Run(ctx, func(AppState) { reports++ }); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if got := strings.Count(logs.String(), "not watching a Spotify app"); got != 1 || reports != 0 {
		t.Errorf("logged %d times with %d reports, want once and none: %q", got, reports, logs.String())
	}
	if err := w.Pause(context.Background()); err == nil {
		t.Error("Pause without a bus = nil, want an error")
	}
}
