package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tapedeck/tapedeck/internal/fixture"
)

// cli runs tapedeck in-process with its own environment: a temp HOME, state
// dir and library, and nothing from the machine running the test.
type cli struct {
	t     testing.TB
	env   map[string]string
	music string
}

func newCLI(t testing.TB) *cli {
	home := t.TempDir()
	music := filepath.Join(home, "Music")
	return &cli{t: t, music: music, env: map[string]string{
		"HOME":                  home,
		"TAPEDECK_STATE_DIR":    filepath.Join(home, "state"),
		"TAPEDECK_LIBRARY_DIRS": music,
	}}
}

func (c *cli) run(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb, func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func (c *cli) mustRun(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("tapedeck %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func TestScanAndTracksJSON(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(c.music, "Björk", "Homogenic")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fixture.Make(t, dir, "01 Hunter", "flac", 1200, fixture.Tags{
		Title: "Hunter", Artists: []string{"Björk"}, Album: "Homogenic", AlbumArtist: "Björk",
		Track: 1, Disc: 1, ISRC: "GBAYE9700101",
	})
	fixture.Make(t, dir, "02 Jóga", "mp3", 1200, fixture.Tags{Title: "Jóga", Artists: []string{"Björk"}, Album: "Homogenic", Track: 2})
	if err := os.WriteFile(filepath.Join(dir, "03 broken.mp3"), []byte("not audio at all"), 0o644); err != nil {
		t.Fatal(err)
	}

	var res map[string]any
	if err := json.Unmarshal([]byte(c.mustRun("scan", "--json")), &res); err != nil {
		t.Fatalf("scan --json is not one JSON object: %v", err)
	}
	want := map[string]float64{"added": 3, "updated": 0, "removed": 0, "unchanged": 0, "failed": 1}
	for k, v := range want {
		if res[k] != v {
			t.Errorf("scan --json %s = %v, want %v", k, res[k], v)
		}
	}
	errs, _ := res["errors"].([]any)
	if len(errs) != 1 || !strings.HasSuffix(errs[0].(map[string]any)["path"].(string), "03 broken.mp3") {
		t.Errorf("errors = %v", res["errors"])
	}

	var tracks []map[string]any
	c.mustRunJSON(&tracks, "tracks", "--json", "--search", "bjork hunt")
	if len(tracks) != 1 {
		t.Fatalf("search found %d tracks, want 1: %v", len(tracks), tracks)
	}
	tr := tracks[0]
	for _, k := range []string{"id", "path", "format", "duration_ms", "title", "artists", "album", "album_artist", "track_no", "disc_no", "isrc"} {
		if _, ok := tr[k]; !ok {
			t.Errorf("tracks --json lacks %q: %v", k, tr)
		}
	}
	if tr["isrc"] != "GBAYE9700101" || tr["format"] != "flac" || tr["track_no"] != 1.0 || tr["album_artist"] != "Björk" {
		t.Errorf("track = %v", tr)
	}
	if artists, _ := tr["artists"].([]any); len(artists) != 1 || artists[0] != "Björk" {
		t.Errorf("artists = %v", tr["artists"])
	}

	// Text output and an unchanged rescan.
	out := c.mustRun("scan")
	if !strings.Contains(out, "unchanged 3") || !strings.Contains(out, "holds 3 tracks") {
		t.Errorf("summary:\n%s", out)
	}
	if out := c.mustRun("tracks", "--failed"); !strings.Contains(out, "03 broken.mp3") || strings.Contains(out, "Hunter") {
		t.Errorf("tracks --failed:\n%s", out)
	}
}

func TestScanOfMissingLibraryExplainsWhatToDo(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("scan")
	for _, want := range []string{"does not exist", "TAPEDECK_LIBRARY_DIRS", "library.dirs", c.music} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	js := c.mustRun("tracks", "--json")
	if strings.TrimSpace(js) != "[]" {
		t.Errorf("tracks --json on an empty index = %q, want []", js)
	}
}

func TestConfigShowAndCheck(t *testing.T) {
	c := newCLI(t)
	c.env["TAPEDECK_HTTP_TOKEN"] = "hunter2-token"
	out := c.mustRun("config", "show")
	if strings.Contains(out, "hunter2-token") || !strings.Contains(out, "(redacted)") {
		t.Errorf("config show leaks the token:\n%s", out)
	}
	for _, key := range []string{"state_dir", "[library]", "[http]", "listen = \"127.0.0.1:8273\"", "[spotify]", "client_id", "redirect_url", "device", "[player]", "output"} {
		if !strings.Contains(out, key) {
			t.Errorf("config show lacks %s", key)
		}
	}
	good := filepath.Join(t.TempDir(), "good.toml")
	os.WriteFile(good, []byte("[library]\ndirs = [\"/srv/music\"]\n"), 0o644)
	if out := c.mustRun("config", "check", good); !strings.Contains(out, "OK") {
		t.Errorf("check good file: %q", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[library]\ndirs = [\"/srv/music\"\n[http]\n"), 0o644)
	_, _, err := c.run("config", "check", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.toml") || !strings.Contains(err.Error(), "line") {
		t.Errorf("check broken file: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	_, _, err := c.run("scan", "--frobnicate")
	if !errors.Is(err, errUsage) || exitCode(err) != 2 {
		t.Errorf("unknown flag: %v (exit %d)", err, exitCode(err))
	}
	out := c.mustRun("version")
	if !strings.HasPrefix(out, "tapedeck ") {
		t.Errorf("version = %q", out)
	}
	help := c.mustRun("scan", "--help")
	if !strings.Contains(help, "--json") || !strings.Contains(help, "--force") {
		t.Errorf("scan --help:\n%s", help)
	}
}

func (c *cli) mustRunJSON(v any, args ...string) {
	c.t.Helper()
	if err := json.Unmarshal([]byte(c.mustRun(args...)), v); err != nil {
		c.t.Fatalf("tapedeck %s: %v", strings.Join(args, " "), err)
	}
}
