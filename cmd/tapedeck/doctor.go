package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/config"
	"github.com/tapedeck/tapedeck/media"
	"github.com/tapedeck/tapedeck/mpris"
	"github.com/tapedeck/tapedeck/player"
	tdsync "github.com/tapedeck/tapedeck/sync"
)

// Doctor statuses.
const (
	statusOK   = "OK"
	statusWarn = "WARN"
	statusFail = "FAIL"
)

// finding is the result of one doctor check. Detail and Fix never hold a
// secret (token, client secret): only paths, counts, versions and errors.
type finding struct {
	Check  string `json:"check"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

func ok(check, detail string) finding { return finding{check, statusOK, detail, ""} }
func warn(check, detail, fix string) finding {
	return finding{check, statusWarn, detail, fix}
}
func fail(check, detail, fix string) finding {
	return finding{check, statusFail, detail, fix}
}

// doctor holds what the checks share.
type doctor struct {
	cfg config.Config
	env config.Env
	// timeout bounds each network probe.
	timeout time.Duration
	// maxEntries bounds how much of each music folder is walked.
	maxEntries int
}

// errDoctorFailed makes `tapedeck doctor` exit with status 1.
var errDoctorFailed = errors.New("doctor found problems")

func (a *app) doctorCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the setup (config, music, database, audio, ffmpeg, Spotify, daemon) and say how to fix it",
		Long: `doctor checks everything tapedeck depends on and prints one line per
check, OK, WARN or FAIL, with what it found and, for a problem, how to fix
it. It changes nothing: it creates no database, refreshes no token, and
never prints a token. The exit status is 1 if any check FAILs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := a.runDoctor(cmd.Context())
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(fs); err != nil {
					return err
				}
			} else {
				writeFindings(a.stdout, fs)
			}
			n := 0
			for _, f := range fs {
				if f.Status == statusFail {
					n++
				}
			}
			if n > 0 {
				return fmt.Errorf("%w: %d check(s) failed", errDoctorFailed, n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as a JSON array of {check, status, detail, fix}")
	return cmd
}

func writeFindings(w io.Writer, fs []finding) {
	width := 0
	for _, f := range fs {
		width = max(width, len(f.Check))
	}
	count := map[string]int{}
	for _, f := range fs {
		count[f.Status]++
		line := fmt.Sprintf("%-4s  %-*s  %s", f.Status, width, f.Check, f.Detail)
		if f.Fix != "" && f.Status != statusOK {
			line += ". Fix: " + f.Fix
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d OK, %d WARN, %d FAIL\n", count[statusOK], count[statusWarn], count[statusFail])
}

// runDoctor runs every check; the slow ones (network, sound device,
// filesystem walks) in parallel. The order of the result is fixed.
func (a *app) runDoctor(ctx context.Context) []finding {
	loaded, cerr := config.Load(a.configPath, a.env)
	var first finding
	cfg := loaded.Config
	if cerr != nil {
		first = fail("config", cerr.Error()+" (the other checks use the built-in defaults)",
			"correct the file (`tapedeck config check FILE` shows where), or the TAPEDECK_* variable named")
		cfg = config.Default(a.env)
	} else if loaded.Path != "" {
		first = ok("config", "loaded and valid: "+loaded.Path)
	} else {
		first = ok("config", "no file at "+config.DefaultPath(a.env)+": built-in defaults and TAPEDECK_* variables, valid")
	}
	d := &doctor{cfg: cfg, env: a.env, timeout: 3 * time.Second, maxEntries: 1000}
	checks := []func(context.Context) []finding{
		d.musicDirs,
		d.stateDir,
		d.database,
		d.output,
		d.ffmpeg,
		d.spotifyLink,
		one(d.spotifyURL("spotify accounts", "spotify.accounts_url", cfg.Spotify.AccountsURL, config.Default(a.env).Spotify.AccountsURL)),
		one(d.spotifyURL("spotify api", "spotify.api_url", cfg.Spotify.APIURL, config.Default(a.env).Spotify.APIURL)),
		one(d.daemon),
		one(d.dbus),
	}
	results := make([][]finding, len(checks))
	var wg gosync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { results[i] = c(ctx) })
	}
	wg.Wait()
	out := []finding{first}
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

func one(f func(context.Context) finding) func(context.Context) []finding {
	return func(ctx context.Context) []finding { return []finding{f(ctx)} }
}

// ---- music folders

const dirsFix = "set library.dirs in the config file (or TAPEDECK_LIBRARY_DIRS) to the folder(s) holding your music"

func (d *doctor) musicDirs(context.Context) []finding {
	var out []finding
	for _, dir := range d.cfg.Library.Dirs {
		out = append(out, d.musicDir(dir))
	}
	return out
}

func (d *doctor) musicDir(dir string) finding {
	const check = "music dir"
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(check, dir+" does not exist", dirsFix)
	case err != nil:
		return fail(check, err.Error(), dirsFix)
	case !st.IsDir():
		return fail(check, dir+" is not a folder", dirsFix)
	}
	if _, err := os.ReadDir(dir); err != nil {
		return fail(check, fmt.Sprintf("%s cannot be read: %v", dir, errors.Unwrap(err)),
			fmt.Sprintf("let the user running tapedeck read it (e.g. `chmod -R a+rX %s`)", dir))
	}
	audio, entries, complete := d.countAudio(dir)
	switch {
	case audio == 0 && complete:
		return warn(check, dir+" holds no audio files", "copy your music there, or "+dirsFix)
	case audio == 0:
		return warn(check, fmt.Sprintf("%s: no audio files among the first %d entries", dir, entries),
			"check that this is your music folder; "+dirsFix)
	case complete:
		return ok(check, fmt.Sprintf("%s: %d audio files", dir, audio))
	}
	return ok(check, fmt.Sprintf("%s: %d audio files in the first %d entries (stopped there)", dir, audio, entries))
}

// countAudio walks dir breadth-first like the scanner (hidden names
// skipped, links followed) until maxEntries entries have been seen.
func (d *doctor) countAudio(dir string) (audio, entries int, complete bool) {
	queue := []string{dir}
	seen := map[string]bool{}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			if seen[real] {
				continue
			}
			seen[real] = true
		}
		des, _ := os.ReadDir(cur)
		for _, de := range des {
			if entries >= d.maxEntries {
				return audio, entries, false
			}
			entries++
			name := de.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(cur, name)
			isDir := de.IsDir()
			if de.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(p); err == nil {
					isDir = st.IsDir()
				}
			}
			switch {
			case isDir:
				queue = append(queue, p)
			case media.Supported(filepath.Ext(name)):
				audio++
			}
		}
	}
	return audio, entries, true
}

// ---- state directory and database

func (d *doctor) stateDir(context.Context) []finding {
	const check = "state dir"
	dir := d.cfg.StateDir
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return []finding{warn(check, dir+" does not exist yet", "run `tapedeck scan` (or start the daemon): it creates it with mode 0700")}
	case err != nil:
		return []finding{fail(check, err.Error(), "set state_dir to a folder of your own")}
	case !st.IsDir():
		return []finding{fail(check, dir+" is not a folder", "set state_dir to a folder of your own")}
	}
	if m := st.Mode().Perm(); m != 0o700 {
		return []finding{fail(check, fmt.Sprintf("%s has mode %04o, want 0700 (it holds your Spotify token)", dir, m),
			fmt.Sprintf("`chmod 700 %s`", dir))}
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return []finding{fail(check, dir+" is not writable", fmt.Sprintf("make it yours: `chown -R $USER %s`", dir))}
	}
	return []finding{ok(check, dir+" (mode 0700)")}
}

func (d *doctor) database(ctx context.Context) []finding {
	const check = "database"
	path := d.cfg.DBPath()
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []finding{warn(check, path+" does not exist yet", "run `tapedeck scan` (or start the daemon) to index your music")}
	}
	if err != nil {
		return []finding{fail(check, err.Error(), "check state_dir")}
	}
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?mode=ro&_busy_timeout=3000")
	if err != nil {
		return []finding{fail(check, fmt.Sprintf("cannot open %s: %v", path, err), "check state_dir")}
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return []finding{fail(check, fmt.Sprintf("cannot read %s: %v", path, err),
			"if it is damaged, move it aside and run `tapedeck scan` and `tapedeck sync` to rebuild it")}
	}
	var qc string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&qc); err != nil || qc != "ok" {
		if err != nil {
			qc = err.Error()
		}
		return []finding{fail(check, fmt.Sprintf("%s is damaged (quick_check: %s)", path, qc),
			"stop the daemon, move the file aside, then run `tapedeck scan` and `tapedeck sync` to rebuild it (your `match pin/reject` decisions are lost)")}
	}
	var out []finding
	known := cache.SchemaVersion()
	detail := fmt.Sprintf("%s: schema %d, integrity ok", path, version)
	switch {
	case version > known:
		return []finding{fail(check, fmt.Sprintf("%s has schema %d, this tapedeck knows up to %d", path, version, known),
			"upgrade tapedeck, or set state_dir to another folder")}
	case version < known:
		out = append(out, warn(check, fmt.Sprintf("%s has schema %d; this tapedeck upgrades it to %d when it next opens it", path, version, known),
			"run `tapedeck scan` (or start the daemon)"))
	}
	var tracks, failed int
	if version >= 1 {
		if err := db.QueryRowContext(ctx, "SELECT count(*), coalesce(sum(parse_error <> ''), 0) FROM local_tracks").Scan(&tracks, &failed); err != nil {
			return []finding{fail(check, fmt.Sprintf("cannot count tracks in %s: %v", path, err),
				"move the file aside and run `tapedeck scan` and `tapedeck sync` to rebuild it")}
		}
	}
	detail += fmt.Sprintf(", %d tracks", tracks)
	if failed > 0 {
		detail += fmt.Sprintf(" (%d unreadable: `tapedeck tracks --failed`)", failed)
	}
	if m := st.Mode().Perm(); m != 0o600 {
		return append(out, fail(check, fmt.Sprintf("%s has mode %04o, want 0600", path, m), fmt.Sprintf("`chmod 600 %s`", path)))
	}
	if tracks == 0 {
		return append(out, warn(check, detail, "run `tapedeck scan` after putting music in library.dirs"))
	}
	return append(out, ok(check, detail+", mode 0600"))
}

// ---- audio output

func (d *doctor) output(ctx context.Context) []finding {
	const check = "audio output"
	spec := d.cfg.Player.Output
	out, err := player.ParseOutput(spec)
	if err != nil {
		return []finding{fail(check, err.Error(), "set player.output to speaker, null or pipe:PATH")}
	}
	switch o := out.(type) {
	case *player.Null:
		return []finding{ok(check, "null: audio is discarded (nothing is heard)")}
	case *player.Pipe:
		return []finding{pipeFinding(o.Path)}
	case *player.Speaker:
		return []finding{d.probeSpeaker(ctx, o)}
	}
	return []finding{ok(check, spec)}
}

func pipeFinding(path string) finding {
	const check = "audio output"
	fix := "create the folder, or set player.output to pipe:PATH with a PATH in a folder you can write to"
	st, err := os.Stat(path)
	if err == nil {
		if st.IsDir() {
			return fail(check, fmt.Sprintf("pipe:%s is a folder", path), "set player.output to pipe:PATH naming a FIFO or file")
		}
		if err := unix.Access(path, unix.W_OK); err != nil {
			return fail(check, fmt.Sprintf("pipe:%s is not writable", path), "let the user running tapedeck write it, or choose another PATH")
		}
		kind := "a file"
		if st.Mode()&fs.ModeNamedPipe != 0 {
			kind = "a FIFO"
		}
		return ok(check, fmt.Sprintf("pipe:%s exists (%s) and is writable", path, kind))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fail(check, fmt.Sprintf("pipe:%s: %v", path, err), fix)
	}
	dir := filepath.Dir(path)
	ds, err := os.Stat(dir)
	switch {
	case err != nil:
		return fail(check, fmt.Sprintf("pipe:%s: the folder %s does not exist", path, dir), fix)
	case !ds.IsDir():
		return fail(check, fmt.Sprintf("pipe:%s: %s is not a folder", path, dir), fix)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fail(check, fmt.Sprintf("pipe:%s: the folder %s is not writable, so the FIFO cannot be made", path, dir), fix)
	}
	return ok(check, fmt.Sprintf("pipe:%s: the FIFO will be made in %s (writable)", path, dir))
}

// silence is a Source of silence that notes when the device first asks
// for samples.
type silence struct {
	rate   int
	asked  atomic.Bool
	askedC chan struct{}
	once   gosync.Once
}

func (s *silence) SampleRate() int { return s.rate }
func (s *silence) Read(p []float32) int {
	if len(p) > 0 {
		s.asked.Store(true)
		s.once.Do(func() { close(s.askedC) })
	}
	n := len(p) &^ 1
	clear(p[:n])
	return n
}
func (s *silence) ReadWait(ctx context.Context, p []float32) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.Read(p), nil
}

// probeSpeaker plays a moment of silence through the speaker output, using
// its own dead-device detection: the device must open and take samples.
func (d *doctor) probeSpeaker(ctx context.Context, sp *player.Speaker) finding {
	const check = "audio output"
	const fix = "check `aplay -l` and ~/.asoundrc (the daemon, if running, may hold the device); on a machine without sound set player.output to null or pipe:PATH"
	probe := *sp
	probe.OpenTimeout = d.timeout
	probe.StallTimeout = 700 * time.Millisecond
	rate := d.cfg.Player.SampleRate
	if rate <= 0 {
		rate = 44100
	}
	src := &silence{rate: rate, askedC: make(chan struct{})}
	ctx, cancel := context.WithTimeout(ctx, d.timeout+2*time.Second)
	defer cancel()
	go func() {
		select {
		case <-src.askedC:
			// Keep playing a little: a device that stalls is caught.
			t := time.NewTimer(time.Second)
			defer t.Stop()
			select {
			case <-t.C:
				cancel()
			case <-ctx.Done():
			}
		case <-ctx.Done():
		}
	}()
	if err := probe.Play(ctx, src); err != nil {
		msg := strings.TrimPrefix(err.Error(), player.ErrOutputDead.Error()+": ")
		msg, _, _ = strings.Cut(msg, " (output speaker uses") // the fix says it
		return fail(check, "speaker: "+msg, fix)
	}
	if !src.asked.Load() {
		return fail(check, "speaker: the sound device opened no stream within "+(d.timeout+2*time.Second).String(), fix)
	}
	return ok(check, "speaker: ALSA's default device opened and played")
}

// ---- ffmpeg

func (d *doctor) ffmpeg(ctx context.Context) []finding {
	const check = "ffmpeg"
	const fix = "`apt-get install ffmpeg` (needed for M4A/AAC/ALAC and Opus files)"
	needed := d.ffmpegFiles(ctx)
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		if needed > 0 {
			return []finding{fail(check, fmt.Sprintf("not installed, and %d indexed M4A/Opus files need it", needed), fix)}
		}
		return []finding{warn(check, "not installed: M4A and Opus files will not play", fix)}
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	outb, err := exec.CommandContext(ctx, p, "-hide_banner", "-version").Output()
	if err != nil {
		outb, err = exec.CommandContext(ctx, p, "-version").Output()
	}
	if err != nil {
		return []finding{fail(check, fmt.Sprintf("%s does not run: %v", p, err), "reinstall it: "+fix)}
	}
	line, _, _ := strings.Cut(string(outb), "\n")
	version := strings.TrimPrefix(line, "ffmpeg version ")
	if v, _, ok := strings.Cut(version, " "); ok {
		version = v
	}
	return []finding{ok(check, fmt.Sprintf("%s, version %s", p, version))}
}

// ffmpegFiles counts indexed files that need ffmpeg; 0 when unknown.
func (d *doctor) ffmpegFiles(ctx context.Context) int {
	path := d.cfg.DBPath()
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?mode=ro&_busy_timeout=3000")
	if err != nil {
		return 0
	}
	defer db.Close()
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM local_tracks WHERE format IN ('m4a', 'opus') AND parse_error = ''").Scan(&n)
	return n
}

// ---- Spotify

func (d *doctor) spotifyLink(context.Context) []finding {
	var out []finding
	if d.cfg.Spotify.ClientID == "" {
		out = append(out, fail("spotify app", "no client id",
			"register an app at https://developer.spotify.com/dashboard and set spotify.client_id (or TAPEDECK_SPOTIFY_CLIENT_ID); see README, \"Link Spotify\""))
	} else {
		out = append(out, ok("spotify app", "client id set"))
	}
	const check = "spotify login"
	tf := tdsync.NewTokenFile(d.cfg.StateDir)
	st, err := os.Stat(tf.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return append(out, fail(check, "not linked: no token at "+tf.Path, "run `tapedeck login`"))
	}
	if err != nil {
		return append(out, fail(check, err.Error(), "run `tapedeck login`"))
	}
	if _, err := tf.Load(); err != nil {
		// Load's errors never quote the file's content.
		return append(out, fail(check, err.Error(), "run `tapedeck login`"))
	}
	if m := st.Mode().Perm(); m != 0o600 {
		return append(out, fail(check, fmt.Sprintf("token file %s has mode %04o, want 0600", tf.Path, m),
			fmt.Sprintf("`chmod 600 %s` (or run `tapedeck logout` and `tapedeck login`)", tf.Path)))
	}
	return append(out, ok(check, "linked: token file "+tf.Path+" (mode 0600)"))
}

// spotifyURL probes u with a GET: any HTTP answer (401 included) means it is
// reachable. An unreachable default URL is a Spotify or network outage, the
// very thing tapedeck covers (WARN); an unreachable URL set by the listener
// is most likely wrong (FAIL).
func (d *doctor) spotifyURL(check, key, u, def string) func(context.Context) finding {
	return func(ctx context.Context) finding {
		code, err := d.get(ctx, u)
		if err == nil {
			return ok(check, fmt.Sprintf("%s answers (HTTP %d)", u, code))
		}
		detail := fmt.Sprintf("%s is unreachable: %s", u, netReason(err))
		if strings.TrimRight(u, "/") == strings.TrimRight(def, "/") {
			return warn(check, detail+" (while it is, tapedeck plays your own files)",
				"check the network connection (DNS, proxy, firewall); if Spotify itself is down, wait")
		}
		env := "TAPEDECK_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		return fail(check, detail, fmt.Sprintf("correct %s (or %s), or remove it to use %s", key, env, def))
	}
}

func (d *doctor) get(ctx context.Context, u string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// netReason says briefly why a request failed.
func netReason(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "no such host " + dnsErr.Name
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return "no answer (timed out)"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}

// ---- daemon

func (d *doctor) daemon(ctx context.Context) finding {
	const check = "daemon"
	c := newAPIClient(d.cfg)
	addr := strings.TrimPrefix(strings.TrimSuffix(c.base, "/api/v1"), "http://")
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/healthz", nil)
	if err != nil {
		return fail(check, err.Error(), "check http.listen")
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return warn(check, "not running (nothing listens on "+addr+")", "start it with `tapedeck daemon` (or `make run`)")
		}
		return fail(check, fmt.Sprintf("%s does not answer as tapedeck: %s%s", addr, netReason(err), holder(addr)),
			"stop the other program, or set http.listen to a free address")
	}
	defer resp.Body.Close()
	var h struct{ Status, Version string }
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &h) == nil && h.Status == "ok" {
		v := ""
		if h.Version != "" {
			v = ", version " + h.Version
		}
		return ok(check, "running at "+addr+v)
	}
	return fail(check, fmt.Sprintf("another program holds %s (it answered %s to /api/v1/healthz)%s", addr, resp.Status, holder(addr)),
		"stop that program, or set http.listen (TAPEDECK_HTTP_LISTEN) to a free address")
}

// holder names the local process listening on addr's port, best effort
// (Linux /proc; only processes this user may inspect); "" if unknown.
func holder(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return ""
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// sl local_address rem_address st ... inode (field 9)
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			if n, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(n) == p {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		fh.Close()
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := os.ReadDir("/proc")
	for _, pd := range procs {
		pid := pd.Name()
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", pid, "fd"))
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc", pid, "fd", fd.Name())); err == nil && inodes[l] {
				comm, _ := os.ReadFile(filepath.Join("/proc", pid, "comm"))
				return fmt.Sprintf("; held by process %s (%s)", pid, strings.TrimSpace(string(comm)))
			}
		}
	}
	return ""
}

// ---- D-Bus

func (d *doctor) dbus(ctx context.Context) finding {
	const check = "d-bus"
	if !d.cfg.Player.MPRIS && !d.cfg.Spotify.WatchApp {
		return ok(check, "not used (player.mpris and spotify.watch_app are off)")
	}
	getenv := func(k string) string { v, _ := d.env(k); return v }
	bus := mpris.Bus(d.cfg.Player.MPRISBus).Pick(getenv)
	addr, fix := getenv("DBUS_SESSION_BUS_ADDRESS"), "run tapedeck inside your desktop session, or export DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$(id -u)/bus"
	if bus == mpris.SystemBus {
		addr, fix = getenv("DBUS_SYSTEM_BUS_ADDRESS"), "install and start the Debian package dbus, or set player.mpris_bus"
		if addr == "" {
			addr = "unix:path=/run/dbus/system_bus_socket"
		}
	} else if addr == "" {
		if rt := getenv("XDG_RUNTIME_DIR"); rt != "" {
			addr = "unix:path=" + filepath.Join(rt, "bus")
		}
	}
	if addr == "" {
		return warn(check, "no session bus (DBUS_SESSION_BUS_ADDRESS is not set): desktop integration such as media keys is unavailable", fix)
	}
	if strings.HasPrefix(addr, "autolaunch:") {
		return ok(check, "session bus address "+addr+" (autolaunch: not started by doctor)")
	}
	for _, part := range strings.Split(addr, ";") {
		_, params, _ := strings.Cut(part, ":")
		for _, kv := range strings.Split(params, ",") {
			if p, ok := strings.CutPrefix(kv, "path="); ok {
				if _, err := os.Stat(p); err != nil {
					return warn(check, string(bus)+" bus socket "+p+" does not exist", fix)
				}
			}
		}
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		return warn(check, "cannot connect to the "+string(bus)+" bus at "+addr+": "+err.Error(), fix)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var names, apps []string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		return warn(check, "the "+string(bus)+" bus at "+addr+" does not answer: "+err.Error(), fix)
	}
	for _, n := range names {
		if mpris.IsSpotifyApp(n) {
			apps = append(apps, n)
		}
	}
	detail := string(bus) + " bus at " + addr + "; no Spotify app on it (when the desktop app or spotifyd runs, tapedeck follows it)"
	if len(apps) > 0 {
		detail = string(bus) + " bus at " + addr + "; Spotify app: " + strings.Join(apps, ", ")
	}
	if bus == mpris.SystemBus && d.cfg.Player.MPRIS && !dbusPolicyInstalled() {
		return warn(check, detail+"; but no D-Bus policy lets tapedeck own its MPRIS name there",
			"sudo make install (installs dist/dbus/tapedeck.conf in /etc/dbus-1/system.d), or set player.mpris = false")
	}
	return ok(check, detail)
}

// dbusPolicyInstalled reports whether tapedeck's system bus policy is in a
// folder the system bus reads.
func dbusPolicyInstalled() bool {
	for _, dir := range []string{"/etc/dbus-1/system.d", "/usr/share/dbus-1/system.d"} {
		if _, err := os.Stat(filepath.Join(dir, "tapedeck.conf")); err == nil {
			return true
		}
	}
	return false
}
