package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/mpris/mpristest"
	tdsync "github.com/tapedeck/tapedeck/sync"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

func runDoctorJSON(t *testing.T, c *cli) ([]finding, string, error) {
	t.Helper()
	out, _, err := c.run("doctor", "--json")
	var fs []finding
	if jerr := json.Unmarshal([]byte(out), &fs); jerr != nil {
		t.Fatalf("doctor --json is not a JSON array: %v\n%s", jerr, out)
	}
	return fs, out, err
}

func byCheck(fs []finding) map[string]finding {
	m := map[string]finding{}
	for _, f := range fs {
		m[f.Check] = f
	}
	return m
}

// healthySetup is a scanned library, a fake Spotify the CLI is logged in
// to, and output null.
func healthySetup(t *testing.T) (*cli, *spotifytest.Server) {
	c := newCLI(t)
	dir := filepath.Join(c.music, "Björk", "Homogenic")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fixture.Make(t, dir, "01 Hunter", "flac", 1200, fixture.Tags{Title: "Hunter", Artists: []string{"Björk"}, Album: "Homogenic"})
	fixture.Make(t, dir, "02 Joga", "mp3", 1200, fixture.Tags{Title: "Joga", Artists: []string{"Björk"}, Album: "Homogenic"})
	srv := spotifytest.New()
	t.Cleanup(srv.Close)
	linked(t, c, srv)
	c.env["TAPEDECK_PLAYER_OUTPUT"] = "null"
	c.env["TAPEDECK_HTTP_TOKEN"] = "api-secret-token-123"
	c.mustRun("scan")
	return c, srv
}

func secrets(t *testing.T, c *cli) []string {
	tok, err := tdsync.NewTokenFile(c.env["TAPEDECK_STATE_DIR"]).Load()
	if err != nil {
		t.Fatal(err)
	}
	return []string{tok.AccessToken, tok.RefreshToken, c.env["TAPEDECK_HTTP_TOKEN"]}
}

func TestDoctorHealthy(t *testing.T) {
	c, _ := healthySetup(t)
	startDaemon(t, c)

	fs, out, err := runDoctorJSON(t, c)
	if err != nil {
		t.Fatalf("doctor on a healthy setup: %v\n%s", err, out)
	}
	// Without a desktop session there is no D-Bus; ffmpeg may be absent.
	allowedWarn := map[string]bool{"d-bus": true, "ffmpeg": true}
	for _, f := range fs {
		if f.Status != statusOK && !(f.Status == statusWarn && allowedWarn[f.Check]) {
			t.Errorf("%s: %s %s (fix: %s)", f.Check, f.Status, f.Detail, f.Fix)
		}
		if f.Status == statusWarn && f.Fix == "" {
			t.Errorf("%s warns without a fix", f.Check)
		}
	}
	m := byCheck(fs)
	for check, want := range map[string]string{
		"config": "built-in defaults", "music dir": "2 audio files", "database": "2 tracks",
		"state dir": "0700", "audio output": "null", "spotify login": "0600", "daemon": "running at",
		"spotify api": "HTTP ", "spotify accounts": "HTTP ",
	} {
		if !strings.Contains(m[check].Detail, want) {
			t.Errorf("%s: detail %q lacks %q", check, m[check].Detail, want)
		}
	}

	text, _, err := c.run("doctor")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != len(fs)+1 || !strings.HasPrefix(lines[0], "OK    config") || !strings.Contains(lines[len(lines)-1], "0 FAIL") {
		t.Errorf("text output:\n%s", text)
	}
	for _, s := range secrets(t, c) {
		if strings.Contains(out, s) || strings.Contains(text, s) {
			t.Errorf("doctor prints a secret %q", s)
		}
	}
}

func TestDoctorBroken(t *testing.T) {
	c := newCLI(t) // its music folder does not exist; no login, no client id
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + closed.Addr().String()
	closed.Close()
	c.env["TAPEDECK_SPOTIFY_API_URL"] = dead + "/v1"
	c.env["TAPEDECK_SPOTIFY_ACCOUNTS_URL"] = dead
	c.env["TAPEDECK_PLAYER_OUTPUT"] = "pipe:" + filepath.Join(t.TempDir(), "no", "such", "dir", "fifo")
	other := httptest.NewServer(http.NotFoundHandler()) // something else holds http.listen
	defer other.Close()
	c.env["TAPEDECK_HTTP_LISTEN"] = strings.TrimPrefix(other.URL, "http://")

	fs, out, err := runDoctorJSON(t, c)
	if !errors.Is(err, errDoctorFailed) || exitCode(err) != 1 {
		t.Fatalf("doctor on a broken setup: err %v (exit %d)", err, exitCode(err))
	}
	m := byCheck(fs)
	for check, want := range map[string]struct{ status, detail, fix string }{
		"music dir":        {statusFail, "does not exist", "library.dirs"},
		"spotify app":      {statusFail, "no client id", "spotify.client_id"},
		"spotify login":    {statusFail, "not linked", "tapedeck login"},
		"audio output":     {statusFail, "does not exist", "player.output"},
		"spotify api":      {statusFail, "connection refused", "spotify.api_url"},
		"spotify accounts": {statusFail, "connection refused", "spotify.accounts_url"},
		"daemon":           {statusFail, "another program holds", "http.listen"},
		"database":         {statusWarn, "does not exist", "tapedeck scan"},
		"state dir":        {statusWarn, "does not exist", "tapedeck scan"},
	} {
		f, ok := m[check]
		if !ok {
			t.Errorf("no %s check:\n%s", check, out)
			continue
		}
		if f.Status != want.status || !strings.Contains(f.Detail, want.detail) || !strings.Contains(f.Fix, want.fix) {
			t.Errorf("%s = %+v, want %s, detail with %q, fix with %q", check, f, want.status, want.detail, want.fix)
		}
	}
	if _, err := os.Stat(c.env["TAPEDECK_STATE_DIR"]); !os.IsNotExist(err) {
		t.Errorf("doctor created the state dir (%v)", err)
	}
	text, _, _ := c.run("doctor")
	if !strings.Contains(text, "FAIL  spotify login") || !strings.Contains(text, "Fix: run `tapedeck login`") {
		t.Errorf("text output:\n%s", text)
	}
}

func TestDoctorLooseModesAndBadConfig(t *testing.T) {
	c, _ := healthySetup(t)
	state := c.env["TAPEDECK_STATE_DIR"]
	token := filepath.Join(state, "spotify-token.json")
	db := filepath.Join(state, "tapedeck.db")
	for p, m := range map[string]os.FileMode{state: 0o755, token: 0o644, db: 0o644} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	fs, out, err := runDoctorJSON(t, c)
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("err %v", err)
	}
	m := byCheck(fs)
	for check, fix := range map[string]string{"state dir": "chmod 700 " + state, "spotify login": "chmod 600 " + token, "database": "chmod 600 " + db} {
		if f := m[check]; f.Status != statusFail || !strings.Contains(f.Fix, fix) {
			t.Errorf("%s = %+v, want FAIL with fix %q", check, f, fix)
		}
	}
	for _, s := range secrets(t, c) {
		if strings.Contains(out, s) {
			t.Errorf("doctor prints a secret %q", s)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[library]\ndirs = [\n"), 0o644)
	c.env["TAPEDECK_CONFIG"] = bad
	fs, _, _ = runDoctorJSON(t, c)
	if f := byCheck(fs)["config"]; f.Status != statusFail || !strings.Contains(f.Detail, "bad.toml") || !strings.Contains(f.Fix, "config check") {
		t.Errorf("config = %+v", f)
	}
	if len(fs) < 10 {
		t.Errorf("a broken config stops the other checks: %+v", fs)
	}
}

func TestDoctorPipeOutputInWritableDir(t *testing.T) {
	f := pipeFinding(filepath.Join(t.TempDir(), "snapfifo"))
	if f.Status != statusOK || !strings.Contains(f.Detail, "writable") {
		t.Errorf("pipe = %+v", f)
	}
}

func TestCompletionBash(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("completion", "bash")
	if !strings.Contains(out, "tapedeck") || !strings.Contains(out, "complete") {
		t.Errorf("completion bash:\n%.300s", out)
	}
	for _, sh := range []string{"zsh", "fish"} {
		if out := c.mustRun("completion", sh); !strings.Contains(out, "tapedeck") {
			t.Errorf("completion %s:\n%.300s", sh, out)
		}
	}
}

// The d-bus check connects to the bus and names the Spotify app it finds.
func TestDoctorSeesTheSpotifyApp(t *testing.T) {
	c := newCLI(t)
	c.env["DBUS_SESSION_BUS_ADDRESS"] = mpristest.StartBus(t)
	check := func() finding {
		t.Helper()
		fs, out, _ := runDoctorJSON(t, c)
		f := byCheck(fs)["d-bus"]
		if f.Status != statusOK {
			t.Fatalf("d-bus: %s %s\n%s", f.Status, f.Detail, out)
		}
		return f
	}
	if f := check(); !strings.Contains(f.Detail, "no Spotify app") {
		t.Errorf("d-bus with no app: %q", f.Detail)
	}
	mpristest.NewSpotifyApp(t, "org.mpris.MediaPlayer2.spotify")
	if f := check(); !strings.Contains(f.Detail, "Spotify app: org.mpris.MediaPlayer2.spotify") {
		t.Errorf("d-bus with the app: %q", f.Detail)
	}
}

// On a server the d-bus check looks at the system bus, and says when the
// policy that lets tapedeck own its MPRIS name there is missing.
func TestDoctorSystemBus(t *testing.T) {
	c := newCLI(t)
	c.env["TAPEDECK_PLAYER_MPRIS_BUS"] = "system"
	c.env["DBUS_SYSTEM_BUS_ADDRESS"] = mpristest.StartSystemBus(t, t.TempDir())
	fs, out, _ := runDoctorJSON(t, c)
	f := byCheck(fs)["d-bus"]
	if !strings.Contains(f.Detail, "system bus at "+c.env["DBUS_SYSTEM_BUS_ADDRESS"]) {
		t.Fatalf("d-bus: %s %q\n%s", f.Status, f.Detail, out)
	}
	switch {
	case dbusPolicyInstalled():
		if f.Status != statusOK {
			t.Errorf("d-bus with the policy installed: %s %q", f.Status, f.Detail)
		}
	case f.Status != statusWarn || !strings.Contains(f.Fix, "make install"):
		t.Errorf("d-bus without the policy: %s %q (fix %q), want a warning naming make install", f.Status, f.Detail, f.Fix)
	}
}
