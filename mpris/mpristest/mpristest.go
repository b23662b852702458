// Package mpristest runs what MPRIS tests need: a private D-Bus session
// bus, and a fake Spotify desktop app on it that answers and signals like
// the real one (mpris:trackid a string "/com/spotify/track/ID", Position
// in microseconds read live, PropertiesChanged on status and track).
package mpristest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// StartBus runs a private session bus until the test ends, points
// DBUS_SESSION_BUS_ADDRESS at it, and returns its address.
func StartBus(t testing.TB) string {
	t.Helper()
	addr := startDaemon(t, "--session", "--address=unix:path="+filepath.Join(t.TempDir(), "bus"))
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

// systemConf is Debian's system bus configuration.
const systemConf = "/usr/share/dbus-1/system.conf"

// StartSystemBus runs a private bus with the system bus's own policy
// (Debian's system.conf: nobody owns a name or receives a method call
// unless a policy file allows it), reading policy files from includeDir
// instead of the machine's, until the test ends. It points
// DBUS_SYSTEM_BUS_ADDRESS at it and returns its address.
func StartSystemBus(t testing.TB, includeDir string) string {
	t.Helper()
	b, err := os.ReadFile(systemConf)
	if err != nil {
		t.Fatalf("Debian's system bus policy: %v (install the package dbus: make test-deps)", err)
	}
	dir := t.TempDir()
	conf := string(b)
	// Keep the policies; run unprivileged, in the foreground, on our
	// socket, with our policy files only.
	for _, re := range []string{`<user>[^<]*</user>`, `<fork/>`, `<pidfile>[^<]*</pidfile>`, `<syslog/>`,
		`<servicehelper>[^<]*</servicehelper>`, `<standard_system_servicedirs/>`,
		`<include[^>]*>[^<]*</include>`, `<includedir>[^<]*</includedir>`} {
		conf = regexp.MustCompile(re).ReplaceAllString(conf, "")
	}
	listen := regexp.MustCompile(`<listen>[^<]*</listen>`)
	if !listen.MatchString(conf) || !strings.Contains(conf, `<deny own="*"/>`) {
		t.Fatalf("%s is not shaped as expected: no <listen> or no default deny", systemConf)
	}
	sock := filepath.Join(dir, "system_bus_socket")
	conf = listen.ReplaceAllString(conf, "<listen>unix:path="+sock+"</listen>")
	conf = strings.Replace(conf, "</busconfig>", "<includedir>"+includeDir+"</includedir>\n</busconfig>", 1)
	path := filepath.Join(dir, "system.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := startDaemon(t, "--config-file="+path)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	return addr
}

// startDaemon runs dbus-daemon with args until the test ends and returns
// the address it prints.
func startDaemon(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatal("dbus-daemon not found: install the Debian package dbus (make test-deps) to test MPRIS")
	}
	cmd := exec.Command(bin, append(args, "--nofork", "--print-address")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // the bus's warnings, shown if the test fails
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("dbus-daemon said:\n%s", stderr.String())
		}
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

const (
	objectPath  = dbus.ObjectPath("/org/mpris/MediaPlayer2")
	ifacePlayer = "org.mpris.MediaPlayer2.Player"
	ifaceProps  = "org.freedesktop.DBus.Properties"
)

// SpotifyApp is a fake Spotify app on the session bus. Its position moves
// with the clock while it plays, unless frozen (the audio stopped while
// the app still says Playing).
type SpotifyApp struct {
	t    testing.TB
	name string
	conn *dbus.Conn

	mu      gosync.Mutex
	status  string
	track   string
	posMs   int64     // position at posAt
	posAt   time.Time // zero while the position does not move
	frozen  bool
	calls   []string
	stopped bool
}

// NewSpotifyApp puts a fake app named name (e.g.
// "org.mpris.MediaPlayer2.spotify") on the session bus, stopped, until the
// test ends or Quit.
func NewSpotifyApp(t testing.TB, name string) *SpotifyApp {
	t.Helper()
	return NewSpotifyAppOn(t, os.Getenv("DBUS_SESSION_BUS_ADDRESS"), name)
}

// NewSpotifyAppOn is NewSpotifyApp on the bus at addr.
func NewSpotifyAppOn(t testing.TB, addr, name string) *SpotifyApp {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("fake Spotify app: %v", err)
	}
	a := &SpotifyApp{t: t, name: name, conn: conn, status: "Stopped"}
	if err := conn.Export(&appPlayer{a}, objectPath, ifacePlayer); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(&appProps{a}, objectPath, ifaceProps); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("fake Spotify app: cannot own %s: %v", name, err)
	}
	t.Cleanup(a.Quit)
	return a
}

// Play makes the app play track from posMs on.
func (a *SpotifyApp) Play(track string, posMs int64) {
	a.mu.Lock()
	a.status, a.track, a.posMs, a.posAt, a.frozen = "Playing", track, posMs, time.Now(), false
	a.mu.Unlock()
	a.changed()
}

// Pause is the listener pausing in the app itself (not over D-Bus: it is
// not recorded in Calls).
func (a *SpotifyApp) Pause() {
	a.mu.Lock()
	a.posMs, a.status, a.posAt = a.position(), "Paused", time.Now()
	a.mu.Unlock()
	a.changed()
}

// Freeze stops the app's audio but leaves it saying Playing: its position
// stays where it is.
func (a *SpotifyApp) Freeze() {
	a.mu.Lock()
	a.posMs, a.frozen = a.position(), true
	a.mu.Unlock()
}

// State is what the app reports now.
func (a *SpotifyApp) State() (status, track string, posMs int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status, a.track, a.position()
}

// Calls are the player methods called on the app, in order.
func (a *SpotifyApp) Calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

// Quit takes the app off the bus.
func (a *SpotifyApp) Quit() {
	a.mu.Lock()
	stopped := a.stopped
	a.stopped = true
	a.mu.Unlock()
	if !stopped {
		a.conn.ReleaseName(a.name)
		a.conn.Close()
	}
}

// position is the live position; a.mu held.
func (a *SpotifyApp) position() int64 {
	if a.status != "Playing" || a.frozen || a.posAt.IsZero() {
		return a.posMs
	}
	return a.posMs + time.Since(a.posAt).Milliseconds()
}

func (a *SpotifyApp) setStatus(call, status string) *dbus.Error {
	a.mu.Lock()
	a.calls = append(a.calls, call)
	a.posMs = a.position()
	a.status = status
	a.posAt = time.Now()
	a.mu.Unlock()
	a.changed()
	return nil
}

// changed sends PropertiesChanged for the status and metadata, as the
// desktop app does.
func (a *SpotifyApp) changed() {
	a.mu.Lock()
	props := a.props()
	a.mu.Unlock()
	delete(props, "Position") // never signalled, per the specification
	if err := a.conn.Emit(objectPath, ifaceProps+".PropertiesChanged", ifacePlayer, props, []string{}); err != nil {
		a.t.Logf("fake Spotify app: PropertiesChanged: %v", err)
	}
}

// props is the Player interface's properties; a.mu held.
func (a *SpotifyApp) props() map[string]dbus.Variant {
	md := map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant("/com/spotify/track/" + a.track)}
	if a.track != "" {
		md["xesam:url"] = dbus.MakeVariant("https://open.spotify.com/track/" + a.track)
		md["xesam:title"] = dbus.MakeVariant("Track " + a.track)
		md["mpris:length"] = dbus.MakeVariant(uint64(240_000_000))
	}
	return map[string]dbus.Variant{
		"PlaybackStatus": dbus.MakeVariant(a.status),
		"Metadata":       dbus.MakeVariant(md),
		"Position":       dbus.MakeVariant(a.position() * 1000),
		"CanPause":       dbus.MakeVariant(true),
		"CanPlay":        dbus.MakeVariant(true),
	}
}

// appPlayer is org.mpris.MediaPlayer2.Player.
type appPlayer struct{ a *SpotifyApp }

// Pause implements Player.Pause.
func (p *appPlayer) Pause() *dbus.Error { return p.a.setStatus("Pause", "Paused") }

// Play implements Player.Play.
func (p *appPlayer) Play() *dbus.Error { return p.a.setStatus("Play", "Playing") }

// PlayPause implements Player.PlayPause.
func (p *appPlayer) PlayPause() *dbus.Error {
	status, _, _ := p.a.State()
	if status == "Playing" {
		return p.a.setStatus("PlayPause", "Paused")
	}
	return p.a.setStatus("PlayPause", "Playing")
}

// appProps is org.freedesktop.DBus.Properties, read live.
type appProps struct{ a *SpotifyApp }

// Get implements Properties.Get.
func (p *appProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	all, err := p.GetAll(iface)
	if err != nil {
		return dbus.Variant{}, err
	}
	v, ok := all[name]
	if !ok {
		return dbus.Variant{}, dbus.MakeFailedError(&unknownProperty{name})
	}
	return v, nil
}

// GetAll implements Properties.GetAll.
func (p *appProps) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	if iface != ifacePlayer {
		return map[string]dbus.Variant{}, nil
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	return p.a.props(), nil
}

// Set implements Properties.Set: nothing is writable.
func (p *appProps) Set(iface, name string, v dbus.Variant) *dbus.Error {
	return dbus.MakeFailedError(&unknownProperty{name})
}

type unknownProperty struct{ name string }

func (e *unknownProperty) Error() string { return "no writable property " + e.name }
