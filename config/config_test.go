package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeEnv builds an Env from pairs and points HOME and XDG at a temp dir so
// the machine's own settings never leak into a test.
func fakeEnv(t *testing.T, kv ...string) (Env, string) {
	t.Helper()
	home := t.TempDir()
	m := map[string]string{"HOME": home}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }, home
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsWithNoFile(t *testing.T) {
	env, home := fakeEnv(t)
	l, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if l.Path != "" {
		t.Errorf("Path = %q, want empty (no file read)", l.Path)
	}
	c := l.Config
	want := map[string]string{
		"state_dir":            filepath.Join(home, ".local/state/tapedeck"),
		"library.dirs":         filepath.Join(home, "Music"),
		"http.listen":          "127.0.0.1:8273",
		"spotify.api_url":      "https://api.spotify.com/v1",
		"spotify.accounts_url": "https://accounts.spotify.com",
		"spotify.redirect_url": "http://127.0.0.1:8274/callback",
		"player.output":        "speaker",
	}
	got := map[string]string{
		"state_dir": c.StateDir, "library.dirs": strings.Join(c.Library.Dirs, ":"), "http.listen": c.HTTP.Listen,
		"spotify.api_url": c.Spotify.APIURL, "spotify.accounts_url": c.Spotify.AccountsURL,
		"spotify.redirect_url": c.Spotify.RedirectURL, "player.output": c.Player.Output,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if c.DBPath() != filepath.Join(home, ".local/state/tapedeck/tapedeck.db") {
		t.Errorf("DBPath = %q", c.DBPath())
	}
}

func TestXDGDirsAreHonoured(t *testing.T) {
	env, home := fakeEnv(t, "XDG_STATE_HOME", "/srv/state", "XDG_CONFIG_HOME", "")
	writeFile(t, home, ".config/user-dirs.dirs", "# comment\nXDG_MUSIC_DIR=\"$HOME/Musik\"\n")
	l, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.StateDir != "/srv/state/tapedeck" {
		t.Errorf("StateDir = %q", l.Config.StateDir)
	}
	if got := l.Config.Library.Dirs; len(got) != 1 || got[0] != filepath.Join(home, "Musik") {
		t.Errorf("Dirs = %q, want ~/Musik from user-dirs.dirs", got)
	}
}

func TestFileThenEnvOverride(t *testing.T) {
	env0, home := fakeEnv(t)
	path := writeFile(t, home, ".config/tapedeck/config.toml", `
state_dir = "~/state"
[library]
dirs = ["~/a", "/b"]
[http]
listen = "127.0.0.1:9000"
token = "s3cret"
[spotify]
client_id = "abc"
sync_interval = "2h"
`)
	env := func(k string) (string, bool) {
		switch k {
		case "TAPEDECK_HTTP_LISTEN":
			return "[::1]:9100", true
		case "TAPEDECK_LIBRARY_DIRS":
			return "/x:/y", true
		}
		return env0(k)
	}
	l, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if l.Path != path {
		t.Errorf("Path = %q, want default path %q", l.Path, path)
	}
	c := l.Config
	if c.StateDir != filepath.Join(home, "state") {
		t.Errorf("StateDir = %q (tilde not expanded?)", c.StateDir)
	}
	if c.HTTP.Listen != "[::1]:9100" {
		t.Errorf("env did not override http.listen: %q", c.HTTP.Listen)
	}
	if strings.Join(c.Library.Dirs, ",") != "/x,/y" {
		t.Errorf("env did not override library.dirs: %q", c.Library.Dirs)
	}
	if c.Spotify.ClientID != "abc" || c.Spotify.SyncInterval.Duration != 2*time.Hour {
		t.Errorf("file values lost: %+v", c.Spotify)
	}
	shown, err := c.Redacted().TOML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(shown, "s3cret") || !strings.Contains(shown, "(redacted)") {
		t.Errorf("config show leaks the token:\n%s", shown)
	}
	if c.HTTP.Token != "s3cret" {
		t.Error("Redacted modified the original")
	}
}

func TestExplicitPathMustExist(t *testing.T) {
	env, home := fakeEnv(t)
	if _, err := Load(filepath.Join(home, "nope.toml"), env); err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Errorf("missing --config file: err = %v, want one naming the file", err)
	}
	env2, _ := fakeEnv(t, "TAPEDECK_CONFIG", filepath.Join(home, "gone.toml"))
	if _, err := Load("", env2); err == nil || !strings.Contains(err.Error(), "gone.toml") {
		t.Errorf("missing TAPEDECK_CONFIG file: err = %v", err)
	}
}

func TestBrokenFilesNameLineAndField(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"syntax", "[library]\ndirs = [\"/a\"\nstate_dir = 1\n", "line 3"},
		{"unknown key", "[library]\ndir = [\"/a\"]\n", "library.dir"},
		{"wrong type", "[library]\ndirs = \"/a\"\n", "library.dirs"},
		{"bad duration", "[spotify]\nsync_interval = \"soon\"\n", "duration"},
		{"localhost redirect", "[spotify]\nredirect_url = \"http://localhost:8274/callback\"\n", "http://127.0.0.1:8274/callback"},
		{"public listen without token", "[http]\nlisten = \"0.0.0.0:8273\"\n", "http.token"},
		{"bad output", "[player]\noutput = \"hdmi\"\n", "player.output"},
		{"bad replaygain", "[player]\nreplaygain = \"loud\"\n", "player.replaygain"},
		{"bad rate", "[player]\nsample_rate = 96000\n", "player.sample_rate"},
		{"bad bus", "[player]\nmpris_bus = \"user\"\n", "player.mpris_bus"},
		{"bad api url", "[spotify]\napi_url = \"ftp://x\"\n", "spotify.api_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, home := fakeEnv(t)
			p := writeFile(t, home, "c.toml", tc.body)
			_, err := Load(p, env)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestEnvFloatAndInt(t *testing.T) {
	env, _ := fakeEnv(t, "TAPEDECK_PLAYER_PREAMP_DB", "-3.5", "TAPEDECK_PLAYER_SAMPLE_RATE", "48000", "TAPEDECK_PLAYER_REPLAYGAIN", "album",
		"TAPEDECK_LIBRARY_WATCH", "false", "TAPEDECK_LIBRARY_RESCAN_INTERVAL", "0s")
	l, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Config.Player; p.PreampDB != -3.5 || p.SampleRate != 48000 || p.ReplayGain != "album" {
		t.Errorf("player = %+v", p)
	}
	if lib := l.Config.Library; lib.Watch || lib.RescanInterval.Duration != 0 {
		t.Errorf("library = %+v", lib)
	}
}

func TestBadEnvNamesVariable(t *testing.T) {
	env, _ := fakeEnv(t, "TAPEDECK_LIBRARY_SCAN_WORKERS", "many")
	_, err := Load("", env)
	if err == nil || !strings.Contains(err.Error(), "TAPEDECK_LIBRARY_SCAN_WORKERS") {
		t.Errorf("err = %v, want it to name the variable", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	env, _ := fakeEnv(t)
	c := Default(env)
	c.Library.Dirs = nil
	c.Player.Output = "pipe:"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "library.dirs") || !strings.Contains(err.Error(), "player.output") {
		t.Errorf("err = %v, want both library.dirs and player.output", err)
	}
}
