package mpris

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/mpris/mpristest"
)

// policyFor writes dist/dbus/tapedeck.conf into a fresh folder, with the
// tapedeck user replaced by username, and returns the folder.
func policyFor(t *testing.T, username string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "dist", "dbus", "tapedeck.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `<policy user="tapedeck">`) {
		t.Fatal(`dist/dbus/tapedeck.conf has no <policy user="tapedeck">`)
	}
	dir := t.TempDir()
	conf := strings.ReplaceAll(string(b), `user="tapedeck"`, `user="`+username+`"`)
	if err := os.WriteFile(filepath.Join(dir, "tapedeck.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSystemBusPolicy runs the player on a bus with Debian's system bus
// policy and our policy file: the tapedeck user owns the name, and another
// connection controls the player. With the file naming another user, the
// name cannot be owned and Run says how to fix it.
func TestSystemBusPolicy(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	addr := mpristest.StartSystemBus(t, policyFor(t, me.Username))
	b, rec := newFake(api.Status{State: "paused", Track: rick, PositionMs: 5000, Volume: 40})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, SystemBus, b, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		<-done
	}()
	client, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	waitFor(t, "the MPRIS name on the system bus", func() bool {
		var has bool
		client.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, BusName).Store(&has)
		return has
	})
	obj := client.Object(BusName, ObjectPath)
	if err := obj.Call(ifacePlayer+".PlayPause", 0).Err; err != nil {
		t.Fatalf("PlayPause on the system bus: %v", err)
	}
	if calls := rec.takeCalls(); !slices.Equal(calls, []string{"Resume"}) {
		t.Errorf("backend calls = %q, want [Resume]", calls)
	}
	v, err := obj.GetProperty(ifacePlayer + ".Metadata")
	if err != nil {
		t.Fatalf("reading Metadata on the system bus: %v", err)
	}
	if md, _ := v.Value().(map[string]dbus.Variant); md["xesam:title"].Value() != rick.Title {
		t.Errorf("Metadata = %v", v)
	}
	// The policy lets nobody call the player's other destinations: a name
	// nobody was allowed (the bus's own default) stays denied.
	if err := client.Object("org.example.Nobody", "/").Call("org.example.Nobody.Hello", 0).Err; err == nil {
		t.Error("a call to an unrelated name got through: the test bus is not enforcing the system policy")
	}
}

func TestSystemBusWithoutPolicy(t *testing.T) {
	mpristest.StartSystemBus(t, policyFor(t, "nobody"))
	b, _ := newFake(api.Status{State: "stopped"})
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := Run(ctx, SystemBus, b, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if !strings.Contains(logs.String(), "cannot own the bus name") || !strings.Contains(logs.String(), "dist/dbus/tapedeck.conf") {
		t.Errorf("logs = %q, want the name refused and the policy file named", logs.String())
	}
}

// spotifyd can run on the system bus too (its dbus_type = "system"); the
// watcher follows it there.
func TestAppWatcherOnSystemBus(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := policyFor(t, me.Username)
	spotifyd := `<busconfig><policy user="` + me.Username + `"><allow own_prefix="org.mpris.MediaPlayer2.spotifyd"/></policy>
<policy context="default"><allow send_destination="org.mpris.MediaPlayer2.spotifyd"/></policy></busconfig>`
	if err := os.WriteFile(filepath.Join(dir, "spotifyd.conf"), []byte(spotifyd), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := mpristest.StartSystemBus(t, dir)
	app := mpristest.NewSpotifyAppOn(t, addr, "org.mpris.MediaPlayer2.spotifyd")
	app.Play(rickID, 1000)
	w := NewAppWatcher(slog.New(slog.DiscardHandler), SystemBus, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan AppState, 100)
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, func(s AppState) {
			select {
			case got <- s:
			default:
			}
		})
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-got:
			if s.Name == "org.mpris.MediaPlayer2.spotifyd" && s.Status == "Playing" && s.TrackID == rickID {
				return
			}
		case <-deadline:
			t.Fatal("the watcher did not see spotifyd playing on the system bus")
		}
	}
}
