package mpris

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/mpris/mpristest"
)

// fakeBackend is an api.Backend whose player methods are function fields.
// The embedded interface is nil: a call to any other method panics, which
// is what a test wants if mpris ever makes one.
type fakeBackend struct {
	api.Backend
	StatusFunc    func(ctx context.Context) api.Status
	PlayFunc      func(ctx context.Context, req api.PlayRequest) error
	PauseFunc     func(ctx context.Context) error
	ResumeFunc    func(ctx context.Context) error
	StopFunc      func(ctx context.Context) error
	NextFunc      func(ctx context.Context) error
	PreviousFunc  func(ctx context.Context) error
	SeekFunc      func(ctx context.Context, ms int64) error
	SetVolumeFunc func(ctx context.Context, v int) error
	SetShuffleFn  func(ctx context.Context, on bool) error
	SetRepeatFn   func(ctx context.Context, mode string) error
	SubscribeFunc func() (<-chan api.Event, func())
}

func (f *fakeBackend) Status(ctx context.Context) api.Status { return f.StatusFunc(ctx) }
func (f *fakeBackend) Play(ctx context.Context, r api.PlayRequest) error {
	return f.PlayFunc(ctx, r)
}
func (f *fakeBackend) Pause(ctx context.Context) error            { return f.PauseFunc(ctx) }
func (f *fakeBackend) Resume(ctx context.Context) error           { return f.ResumeFunc(ctx) }
func (f *fakeBackend) Stop(ctx context.Context) error             { return f.StopFunc(ctx) }
func (f *fakeBackend) Next(ctx context.Context) error             { return f.NextFunc(ctx) }
func (f *fakeBackend) Previous(ctx context.Context) error         { return f.PreviousFunc(ctx) }
func (f *fakeBackend) Seek(ctx context.Context, ms int64) error   { return f.SeekFunc(ctx, ms) }
func (f *fakeBackend) SetVolume(ctx context.Context, v int) error { return f.SetVolumeFunc(ctx, v) }
func (f *fakeBackend) SetShuffle(ctx context.Context, on bool) error {
	return f.SetShuffleFn(ctx, on)
}
func (f *fakeBackend) SetRepeat(ctx context.Context, mode string) error {
	return f.SetRepeatFn(ctx, mode)
}
func (f *fakeBackend) Subscribe() (<-chan api.Event, func()) { return f.SubscribeFunc() }

// recorder backs a fakeBackend: a status the test sets, the calls made,
// and an event stream the test feeds.
type recorder struct {
	mu     gosync.Mutex
	status api.Status
	calls  []string
	events chan api.Event
}

func (r *recorder) record(call string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
	return nil
}

func (r *recorder) setStatus(f func(*api.Status)) {
	r.mu.Lock()
	f(&r.status)
	r.mu.Unlock()
	r.events <- api.Event{Type: "state"}
}

// takeCalls returns the calls made since the last takeCalls.
func (r *recorder) takeCalls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func newFake(st api.Status) (*fakeBackend, *recorder) {
	r := &recorder{status: st, events: make(chan api.Event, 16)}
	f := &fakeBackend{
		StatusFunc: func(context.Context) api.Status {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.status
		},
		PlayFunc: func(_ context.Context, req api.PlayRequest) error {
			return r.record(fmt.Sprintf("Play %q", req.Paths))
		},
		PauseFunc:    func(context.Context) error { return r.record("Pause") },
		ResumeFunc:   func(context.Context) error { return r.record("Resume") },
		StopFunc:     func(context.Context) error { return r.record("Stop") },
		NextFunc:     func(context.Context) error { return r.record("Next") },
		PreviousFunc: func(context.Context) error { return r.record("Previous") },
		SeekFunc:     func(_ context.Context, ms int64) error { return r.record(fmt.Sprintf("Seek %d", ms)) },
		SetVolumeFunc: func(_ context.Context, v int) error {
			r.mu.Lock()
			r.status.Volume = v
			r.mu.Unlock()
			return r.record(fmt.Sprintf("SetVolume %d", v))
		},
		SetShuffleFn: func(_ context.Context, on bool) error {
			r.mu.Lock()
			r.status.Shuffle = on
			r.mu.Unlock()
			return r.record(fmt.Sprintf("SetShuffle %v", on))
		},
		SetRepeatFn: func(_ context.Context, mode string) error {
			r.mu.Lock()
			r.status.Repeat = mode
			r.mu.Unlock()
			return r.record("SetRepeat " + mode)
		},
		SubscribeFunc: func() (<-chan api.Event, func()) { return r.events, func() {} },
	}
	return f, r
}

var rick = &api.TrackInfo{SpotifyID: "4uLU6hMCjMI75M1A2tKUQC", Title: "Never Gonna Give You Up",
	Artists: []string{"Rick Astley"}, Album: "Whenever You Need Somebody", DurationMs: 213_000,
	LocalPath: "/music/Rick Astley/01 Never Gonna Give You Up.mp3"}

// startBus runs a private session bus for the test and points
// DBUS_SESSION_BUS_ADDRESS at it.
func startBus(t *testing.T) { mpristest.StartBus(t) }

// startPlayer runs Run on the test bus until the test ends, and returns a
// client connection once the name is on the bus.
func startPlayer(t *testing.T, b api.Backend) *dbus.Conn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, SessionBus, b, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	client, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	waitFor(t, "the MPRIS name on the bus", func() bool {
		var has bool
		client.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, BusName).Store(&has)
		return has
	})
	return client
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func playerctl(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("playerctl")
	if err != nil {
		t.Fatal("playerctl not found: install the Debian package playerctl (make deps) to test MPRIS")
	}
	out, err := exec.Command(bin, append([]string{"-p", "tapedeck"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("playerctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestPlayerctl(t *testing.T) {
	startBus(t)
	b, rec := newFake(api.Status{State: "paused", Track: rick, PositionMs: 5000, Volume: 40})
	startPlayer(t, b)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"play-pause"}, []string{"Resume"}},
		{[]string{"pause"}, []string{"Pause"}},
		{[]string{"stop"}, []string{"Stop"}},
		{[]string{"next"}, []string{"Next"}},
		{[]string{"previous"}, []string{"Previous"}},
		{[]string{"position", "10"}, []string{"Seek 10000"}},
		{[]string{"position", "3+"}, []string{"Seek 8000"}},
		{[]string{"volume", "0.5"}, []string{"SetVolume 50"}},
		{[]string{"shuffle", "On"}, []string{"SetShuffle true"}},
		{[]string{"loop", "Track"}, []string{"SetRepeat one"}},
		{[]string{"loop", "Playlist"}, []string{"SetRepeat all"}},
		{[]string{"open", "file:///music/a%20b.flac"}, []string{`Play ["/music/a b.flac"]`}},
	} {
		playerctl(t, tc.args...)
		if got := rec.takeCalls(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("playerctl %s: backend got %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"metadata", "--format", "{{title}} {{artist}}"}, "Never Gonna Give You Up Rick Astley"},
		{[]string{"metadata", "mpris:trackid"}, "'/org/tapedeck/track/4uLU6hMCjMI75M1A2tKUQC'"},
		{[]string{"metadata", "xesam:url"}, "file:///music/Rick%20Astley/01%20Never%20Gonna%20Give%20You%20Up.mp3"},
		{[]string{"metadata", "mpris:length"}, "213000000"},
		{[]string{"metadata", "xesam:album"}, "Whenever You Need Somebody"},
		{[]string{"status"}, "Paused"},
		{[]string{"volume"}, "0.500000"},
		{[]string{"position"}, "5.000000"},
		{[]string{"shuffle"}, "On"},
		{[]string{"loop"}, "Playlist"},
	} {
		if got := playerctl(t, tc.args...); got != tc.want {
			t.Errorf("playerctl %s = %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}

func TestPropertiesChangedAndSeeked(t *testing.T) {
	startBus(t)
	b, rec := newFake(api.Status{State: "paused", Track: rick, PositionMs: 5000, Volume: 40})
	client := startPlayer(t, b)
	sigs := make(chan *dbus.Signal, 32)
	client.Signal(sigs)
	if err := client.AddMatchSignal(dbus.WithMatchObjectPath(ObjectPath)); err != nil {
		t.Fatal(err)
	}

	rec.setStatus(func(s *api.Status) { s.State = "playing"; s.Volume = 70 })
	changed := map[string]any{}
	for len(changed) < 2 {
		sig := nextSignal(t, sigs)
		if sig.Name != ifaceProps+".PropertiesChanged" || sig.Body[0] != ifacePlayer {
			continue
		}
		for k, v := range sig.Body[1].(map[string]dbus.Variant) {
			changed[k] = v.Value()
		}
	}
	if changed["PlaybackStatus"] != "Playing" || changed["Volume"] != 0.7 {
		t.Errorf("PropertiesChanged said %v, want PlaybackStatus Playing and Volume 0.7", changed)
	}

	other := &api.TrackInfo{Title: "Local", Artists: []string{"A", "B"}, DurationMs: 1000, LocalPath: "/m/x.ogg"}
	rec.setStatus(func(s *api.Status) { s.Track = other; s.PositionMs = 0 })
	for {
		sig := nextSignal(t, sigs)
		if sig.Name == ifaceProps+".PropertiesChanged" {
			md, ok := sig.Body[1].(map[string]dbus.Variant)["Metadata"]
			if !ok {
				continue
			}
			m := md.Value().(map[string]dbus.Variant)
			if m["xesam:title"].Value() != "Local" || fmt.Sprint(m["xesam:artist"].Value()) != "[A B]" {
				t.Errorf("Metadata = %v", m)
			}
			break
		}
	}

	obj := client.Object(BusName, ObjectPath)
	if err := obj.Call(ifacePlayer+".SetPosition", 0, TrackID(other), int64(400_000)).Err; err != nil {
		t.Fatal(err)
	}
	for {
		sig := nextSignal(t, sigs)
		if sig.Name == ifacePlayer+".Seeked" {
			if sig.Body[0] != int64(400_000) {
				t.Errorf("Seeked(%v), want 400000", sig.Body[0])
			}
			break
		}
	}
	if got := rec.takeCalls(); fmt.Sprint(got) != "[Seek 400]" {
		t.Errorf("backend got %q, want Seek 400", got)
	}
	// A stale track id is ignored, as MPRIS asks.
	obj.Call(ifacePlayer+".SetPosition", 0, TrackID(rick), int64(1000))
	if got := rec.takeCalls(); len(got) != 0 {
		t.Errorf("SetPosition with another track's id called %q", got)
	}
}

func nextSignal(t *testing.T, sigs chan *dbus.Signal) *dbus.Signal {
	t.Helper()
	select {
	case s := <-sigs:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a signal")
		return nil
	}
}

func TestIntrospect(t *testing.T) {
	startBus(t)
	b, _ := newFake(api.Status{State: "stopped"})
	client := startPlayer(t, b)
	var xml string
	if err := client.Object(BusName, ObjectPath).Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<interface name="org.mpris.MediaPlayer2.Player">`, `<method name="Seek">`,
		`<signal name="Seeked">`, `<property name="Identity" type="s" access="read">`,
		`<property name="Volume" type="d" access="readwrite">`, `<interface name="org.freedesktop.DBus.Properties">`} {
		if !strings.Contains(xml, want) {
			t.Errorf("introspection lacks %s", want)
		}
	}
	if strings.Contains(xml, "SeekBy") {
		t.Error("introspection shows the Go name SeekBy")
	}
}

func TestNameTaken(t *testing.T) {
	startBus(t)
	b, _ := newFake(api.Status{State: "stopped"})
	startPlayer(t, b)
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := Run(ctx, SessionBus, b, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatalf("Run with the name taken = %v, want nil", err)
	}
	if !strings.Contains(logs.String(), "cannot own the bus name") {
		t.Errorf("logs = %q", logs.String())
	}
}

func TestNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	b, _ := newFake(api.Status{})
	if err := Run(ctx, SessionBus, b, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if got := strings.Count(logs.String(), "no D-Bus session bus: media keys and playerctl unavailable"); got != 1 {
		t.Errorf("logged the no-bus message %d times, want once: %q", got, logs.String())
	}
}

func TestTrackID(t *testing.T) {
	a := TrackID(&api.TrackInfo{LocalPath: "/m/a/b.mp3"})
	b := TrackID(&api.TrackInfo{LocalPath: "/m/a_b.mp3"})
	if a == b || !a.IsValid() || !b.IsValid() {
		t.Errorf("local ids %q and %q: want two valid, different paths", a, b)
	}
	if got := TrackID(&api.TrackInfo{SpotifyID: "ab-c.d"}); got != "/org/tapedeck/track/ab_c_d" {
		t.Errorf("TrackID = %q", got)
	}
}
