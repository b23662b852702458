// Package config loads tapedeck's settings: built-in defaults, then a TOML
// file, then TAPEDECK_<SECTION>_<KEY> environment variables, then Validate.
// The result is a plain value handed to whoever needs it; there is no global.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the effective configuration. The toml tags are the file's keys;
// the environment variable for a key is TAPEDECK_ + section + _ + key, upper
// case (TAPEDECK_LIBRARY_DIRS, TAPEDECK_HTTP_LISTEN, TAPEDECK_STATE_DIR).
type Config struct {
	// StateDir holds the database and, later, the Spotify tokens.
	StateDir string  `toml:"state_dir"`
	Library  Library `toml:"library"`
	HTTP     HTTP    `toml:"http"`
	Spotify  Spotify `toml:"spotify"`
	Player   Player  `toml:"player"`
}

// Library says where the listener's own audio files live.
type Library struct {
	// Dirs are the music folders to index. In the environment variable they
	// are separated like PATH (":" on Linux).
	Dirs []string `toml:"dirs"`
	// ScanWorkers bounds how many files are read at once; 0 means one per CPU.
	ScanWorkers int `toml:"scan_workers"`
	// Watch makes the daemon rescan soon after files change (inotify).
	Watch bool `toml:"watch"`
	// RescanInterval is how often the daemon rescans anyway (0: never).
	RescanInterval Duration `toml:"rescan_interval"`
}

// HTTP configures the local control endpoint.
type HTTP struct {
	Listen string `toml:"listen"`
	// Token, when set, is required as a bearer token on every API request.
	Token string `toml:"token" secret:"true"`
	// Socket is an optional Unix socket for the API; its file mode (0600)
	// is its access control.
	Socket string `toml:"socket"`
	// AllowedHosts are extra names accepted in the Host header (e.g. the
	// machine's LAN name), besides loopback names and IP literals.
	AllowedHosts []string `toml:"allowed_hosts"`
}

// Spotify configures the Web API client. Each user registers their own app
// and sets its client ID; there is no client secret (PKCE).
type Spotify struct {
	ClientID     string   `toml:"client_id"`
	APIURL       string   `toml:"api_url"`
	AccountsURL  string   `toml:"accounts_url"`
	RedirectURL  string   `toml:"redirect_url"`
	Device       string   `toml:"device"`
	SyncInterval Duration `toml:"sync_interval"`
	// PollInterval is how often the daemon asks Spotify what it plays.
	PollInterval Duration `toml:"poll_interval"`
	// Handback says when to go back to Spotify after an outage:
	// "track_end", "immediately" or "never".
	Handback string `toml:"handback"`
	// WatchApp follows the Spotify desktop app or spotifyd on the D-Bus
	// session bus (MPRIS): whether its audio really plays sharpens outage
	// detection, and a fail-over pauses it without the network.
	WatchApp bool `toml:"watch_app"`
}

// Player configures local playback.
type Player struct {
	// Output is "speaker", "null" or "pipe:PATH".
	Output string `toml:"output"`
	// ReplayGain is "off", "track" or "album".
	ReplayGain string `toml:"replaygain"`
	// PreampDB is added to the ReplayGain adjustment.
	PreampDB float64 `toml:"preamp_db"`
	// SampleRate is the output rate: 44100 or 48000.
	SampleRate int `toml:"sample_rate"`
	// MPRIS exposes the player on the D-Bus session bus (media keys,
	// playerctl, the desktop's player widget).
	MPRIS bool `toml:"mpris"`
	// MPRISBus is the D-Bus bus for MPRIS, and for watching the Spotify
	// app: "session" (a desktop), "system" (a home server), or "auto": the
	// session bus when there is one, else the system bus.
	MPRISBus string `toml:"mpris_bus"`
}

// Duration is a time.Duration written as "30m" or "1h" in TOML and env.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as \"30m\" or \"2h\": %w", err)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration the way UnmarshalText reads it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Env looks up an environment variable; os.LookupEnv in production.
type Env func(key string) (string, bool)

// Default returns the built-in configuration, resolved against env for the
// XDG directories and $HOME.
func Default(env Env) Config {
	return Config{
		StateDir: filepath.Join(xdgDir(env, "XDG_STATE_HOME", ".local/state"), "tapedeck"),
		Library:  Library{Dirs: []string{musicDir(env)}, Watch: true, RescanInterval: Duration{time.Hour}},
		HTTP:     HTTP{Listen: "127.0.0.1:8273"},
		Spotify: Spotify{
			APIURL:       "https://api.spotify.com/v1",
			AccountsURL:  "https://accounts.spotify.com",
			RedirectURL:  "http://127.0.0.1:8274/callback",
			SyncInterval: Duration{30 * time.Minute},
			PollInterval: Duration{2 * time.Second},
			Handback:     "track_end",
			WatchApp:     true,
		},
		Player: Player{Output: "speaker", ReplayGain: "off", SampleRate: 44100, MPRIS: true, MPRISBus: "auto"},
	}
}

// DefaultPath is where the config file is looked for when neither --config
// nor TAPEDECK_CONFIG names one.
func DefaultPath(env Env) string {
	return filepath.Join(xdgDir(env, "XDG_CONFIG_HOME", ".config"), "tapedeck", "config.toml")
}

// Loaded is a configuration together with where it came from.
type Loaded struct {
	Config Config
	// Path is the file that was read, or "" when none was (defaults only).
	Path string
}

// Load builds the effective configuration. explicit is the --config flag
// ("" if not given); an explicitly named file (flag or TAPEDECK_CONFIG) must
// exist, the default one may be absent. The result is validated.
func Load(explicit string, env Env) (Loaded, error) {
	cfg := Default(env)
	path, required := explicit, explicit != ""
	if path == "" {
		if p, ok := env("TAPEDECK_CONFIG"); ok && p != "" {
			path, required = p, true
		} else {
			path = DefaultPath(env)
		}
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := decode(data, path, &cfg); err != nil {
			return Loaded{}, err
		}
	case errors.Is(err, os.ErrNotExist) && !required:
		path = ""
	default:
		return Loaded{}, fmt.Errorf("config: %w", err)
	}
	if err := applyEnv(&cfg, env); err != nil {
		return Loaded{}, err
	}
	cfg.expand(env)
	if err := cfg.Validate(); err != nil {
		return Loaded{}, err
	}
	return Loaded{Config: cfg, Path: path}, nil
}

// decode reads TOML over the defaults in cfg, refusing unknown keys so that
// a typo is reported rather than silently ignored.
func decode(data []byte, path string, cfg *Config) error {
	md, err := toml.Decode(string(data), cfg)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("config %s: line %d, column %d: %s", path, perr.Position.Line, perr.Position.Col, perr.Message)
		}
		return fmt.Errorf("config %s: %w", path, err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		keys := make([]string, len(undec))
		for i, k := range undec {
			keys[i] = k.String()
		}
		return fmt.Errorf("config %s: unknown key %s: check the spelling against `tapedeck config show`", path, strings.Join(keys, ", "))
	}
	return nil
}

// applyEnv overrides fields from TAPEDECK_<SECTION>_<KEY> variables.
func applyEnv(cfg *Config, env Env) error {
	return walkFields(reflect.ValueOf(cfg).Elem(), "", func(key string, f reflect.Value, _ reflect.StructField) error {
		name := "TAPEDECK_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		raw, ok := env(name)
		if !ok {
			return nil
		}
		if err := setField(f, raw); err != nil {
			return fmt.Errorf("config: %s (%s): %w", name, key, err)
		}
		return nil
	})
}

func setField(f reflect.Value, raw string) error {
	if u, ok := f.Addr().Interface().(interface{ UnmarshalText([]byte) error }); ok {
		return u.UnmarshalText([]byte(raw))
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", raw)
		}
		f.SetInt(int64(n))
	case reflect.Bool:
		v, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", raw)
		}
		f.SetBool(v)
	case reflect.Float64:
		v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", raw)
		}
		f.SetFloat(v)
	case reflect.Slice:
		var list []string
		for _, s := range filepath.SplitList(raw) {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		f.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("unsupported field kind %s", f.Kind())
	}
	return nil
}

// walkFields calls fn for every leaf field with its dotted TOML key.
func walkFields(v reflect.Value, prefix string, fn func(key string, f reflect.Value, sf reflect.StructField) error) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		key := sf.Tag.Get("toml")
		if prefix != "" {
			key = prefix + "." + key
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct && sf.Type != reflect.TypeFor[Duration]() {
			if err := walkFields(f, key, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(key, f, sf); err != nil {
			return err
		}
	}
	return nil
}

// expand resolves "~" and relative paths so the rest of the program sees
// absolute paths only.
func (c *Config) expand(env Env) {
	c.StateDir = absPath(c.StateDir, env)
	c.HTTP.Socket = absPath(c.HTTP.Socket, env)
	for i, d := range c.Library.Dirs {
		c.Library.Dirs[i] = absPath(d, env)
	}
}

func absPath(p string, env Env) string {
	if p == "" {
		return p
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = filepath.Join(home(env), strings.TrimPrefix(p, "~"))
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// Validate checks every field and returns all problems at once, each naming
// the key and how to fix it.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: "+format, append([]any{key}, args...)...))
	}
	if c.StateDir == "" {
		bad("state_dir", "must not be empty: set a directory for the database, e.g. ~/.local/state/tapedeck")
	}
	if len(c.Library.Dirs) == 0 {
		bad("library.dirs", "is empty: list at least one music folder, e.g. dirs = [\"~/Music\"]")
	}
	if c.Library.ScanWorkers < 0 {
		bad("library.scan_workers", "is %d: use 0 (one per CPU) or a positive number", c.Library.ScanWorkers)
	}
	if d := c.Library.RescanInterval.Duration; d < 0 || (d > 0 && d < time.Minute) {
		bad("library.rescan_interval", "is %s: use at least 1m, or 0 to rescan only on changes", d)
	}
	validateListen(c.HTTP, bad)
	for key, u := range map[string]string{"spotify.api_url": c.Spotify.APIURL, "spotify.accounts_url": c.Spotify.AccountsURL} {
		if err := checkHTTPURL(u); err != nil {
			bad(key, "%v", err)
		}
	}
	validateRedirect(c.Spotify.RedirectURL, bad)
	if c.Spotify.SyncInterval.Duration < time.Minute && c.Spotify.SyncInterval.Duration != 0 {
		bad("spotify.sync_interval", "is %s: use at least 1m (Spotify rate-limits clients), or 0 to disable periodic sync", c.Spotify.SyncInterval)
	}
	if d := c.Spotify.PollInterval.Duration; d < 500*time.Millisecond || d > time.Minute {
		bad("spotify.poll_interval", "is %s: use 500ms to 1m (Spotify rate-limits clients; 2s is the default)", d)
	}
	switch c.Spotify.Handback {
	case "track_end", "immediately", "never":
	default:
		bad("spotify.handback", "%q: use \"track_end\", \"immediately\" or \"never\"", c.Spotify.Handback)
	}
	if err := checkOutput(c.Player.Output); err != nil {
		bad("player.output", "%v", err)
	}
	switch c.Player.ReplayGain {
	case "off", "track", "album":
	default:
		bad("player.replaygain", "%q: use \"off\", \"track\" or \"album\"", c.Player.ReplayGain)
	}
	if c.Player.SampleRate != 44100 && c.Player.SampleRate != 48000 {
		bad("player.sample_rate", "%d: use 44100 or 48000", c.Player.SampleRate)
	}
	switch c.Player.MPRISBus {
	case "auto", "session", "system":
	default:
		bad("player.mpris_bus", "%q: use \"auto\", \"session\" (a desktop) or \"system\" (a server; install dist/dbus/tapedeck.conf)", c.Player.MPRISBus)
	}
	if c.Player.PreampDB < -20 || c.Player.PreampDB > 20 {
		bad("player.preamp_db", "%g dB is out of range: use -20 to 20", c.Player.PreampDB)
	}
	return errors.Join(errs...)
}

func validateListen(h HTTP, bad func(key, format string, args ...any)) {
	host, port, err := net.SplitHostPort(h.Listen)
	if err != nil {
		bad("http.listen", "%q is not host:port: use e.g. \"127.0.0.1:8273\"", h.Listen)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("http.listen", "port %q is not a number from 0 to 65535", port)
	}
	if !isLoopback(host) && h.Token == "" {
		bad("http.listen", "%q is reachable from other machines: set http.token too (a long random string), or listen on 127.0.0.1", h.Listen)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// validateRedirect enforces Spotify's rule (since 2025-11-27): a loopback
// redirect must use the IP literal, never "localhost".
func validateRedirect(s string, bad func(key, format string, args ...any)) {
	const key = "spotify.redirect_url"
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		bad(key, "%q is not a URL: use e.g. \"http://127.0.0.1:8274/callback\"", s)
		return
	}
	switch host := u.Hostname(); {
	case host == "localhost":
		bad(key, "Spotify refuses \"localhost\" redirect URIs: use http://127.0.0.1:%s%s instead", u.Port(), u.Path)
	case u.Scheme != "http" || !isLoopback(host):
		bad(key, "%q must be a loopback http URL (http://127.0.0.1:PORT/path or http://[::1]:PORT/path) that tapedeck can listen on", s)
	case u.Port() == "":
		bad(key, "%q needs an explicit port, e.g. http://127.0.0.1:8274/callback", s)
	}
}

func checkOutput(s string) error {
	switch {
	case s == "speaker" || s == "null":
		return nil
	case strings.HasPrefix(s, "pipe:") && len(s) > len("pipe:"):
		return nil
	}
	return fmt.Errorf("%q is not an output: use \"speaker\", \"null\" or \"pipe:/path/to/fifo\"", s)
}

// Redacted returns a copy with secrets replaced, for display.
func (c Config) Redacted() Config {
	out := c
	out.Library.Dirs = append([]string(nil), c.Library.Dirs...)
	_ = walkFields(reflect.ValueOf(&out).Elem(), "", func(_ string, f reflect.Value, sf reflect.StructField) error {
		if sf.Tag.Get("secret") == "true" && f.String() != "" {
			f.SetString("(redacted)")
		}
		return nil
	})
	return out
}

// TOML renders the configuration as a TOML document.
func (c Config) TOML() (string, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// DBPath is the SQLite database inside the state directory.
func (c Config) DBPath() string { return filepath.Join(c.StateDir, "tapedeck.db") }
