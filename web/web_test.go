package web_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/web"
)

// fakeBackend answers with canned data and records the calls that change
// something.
type fakeBackend struct {
	mu     gosync.Mutex
	calls  []string
	args   []any
	title  string
	events chan api.Event
}

func (f *fakeBackend) record(name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	f.args = append(f.args, arg)
	return nil
}

// called returns the argument of the last call to name, and whether there
// was one.
func (f *fakeBackend) called(name string) (any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i] == name {
			return f.args[i], true
		}
	}
	return nil, false
}

func (f *fakeBackend) setTitle(t string) {
	f.mu.Lock()
	f.title = t
	f.mu.Unlock()
}

func (f *fakeBackend) Status(ctx context.Context) api.Status {
	f.mu.Lock()
	title := f.title
	f.mu.Unlock()
	return api.Status{
		State: "playing", Source: "local", PositionMs: 61_000, Index: 1, Volume: 40, Repeat: "off",
		Track: &api.TrackInfo{SpotifyID: "t2", Title: title, Artists: []string{"Can"}, Album: "Tago Mago",
			DurationMs: 1_100_000, LocalPath: "/music/Can/Halleluhwah.flac"},
		Playlist: &api.PlaylistRef{ID: "pl1", Name: "Krautrock", Items: 4, PlayableOffline: 3},
		Spotify:  api.SpotifyStatus{Connectivity: "offline", LastError: "dial tcp: i/o timeout"},
		Library:  api.LibraryStatus{Tracks: 1234},
	}
}

func (f *fakeBackend) Play(ctx context.Context, req api.PlayRequest) error {
	return f.record("Play", req)
}
func (f *fakeBackend) Pause(ctx context.Context) error            { return f.record("Pause", nil) }
func (f *fakeBackend) Resume(ctx context.Context) error           { return f.record("Resume", nil) }
func (f *fakeBackend) Stop(ctx context.Context) error             { return f.record("Stop", nil) }
func (f *fakeBackend) Next(ctx context.Context) error             { return f.record("Next", nil) }
func (f *fakeBackend) Previous(ctx context.Context) error         { return f.record("Previous", nil) }
func (f *fakeBackend) Seek(ctx context.Context, ms int64) error   { return f.record("Seek", ms) }
func (f *fakeBackend) SetVolume(ctx context.Context, v int) error { return f.record("SetVolume", v) }
func (f *fakeBackend) SetQueue(ctx context.Context, r api.PlayRequest) error {
	return f.record("SetQueue", r)
}
func (f *fakeBackend) Queue(ctx context.Context) (api.Queue, error) { return api.Queue{Index: -1}, nil }

var playlists = []cache.Playlist{
	{ID: "pl1", Kind: "playlist", Name: "Krautrock", Readable: true, Items: 4, Playable: 3, Coverage: 75},
	{ID: "pl2", Kind: "playlist", Name: "<b>Jazz</b> & \"Soul\"", Readable: true, Items: 3, Playable: 1, Coverage: 33.3},
	{ID: "liked", Kind: "liked", Name: "Liked Songs", Readable: true, Items: 0, Playable: 0, Coverage: 0},
}

func (f *fakeBackend) Playlists(ctx context.Context) ([]cache.Playlist, error) { return playlists, nil }

func (f *fakeBackend) Playlist(ctx context.Context, ref string) (cache.Playlist, []cache.PlaylistItem, error) {
	for _, p := range playlists {
		if p.ID == ref {
			tr := func(id, name, artist string) *cache.SpotifyTrack {
				return &cache.SpotifyTrack{ID: id, URI: "spotify:track:" + id, Kind: "track", Name: name,
					Artists: []cache.Artist{{ID: "a" + id, Name: artist}}}
			}
			return p, []cache.PlaylistItem{
				{Position: 0, Track: tr("t1", "Mother Sky", "Can"), LocalPath: "/music/Can/Mother Sky.flac", MatchMethod: "isrc", MatchScore: 1},
				{Position: 1, Track: tr("t2", "Halleluhwah", "Can"), LocalPath: "/music/Can/Halleluhwah.flac", MatchMethod: "tags", MatchScore: 0.93},
				{Position: 2, Track: tr("t3", "Hallogallo", "NEU!")},
				{Position: 3},
			}, nil
		}
	}
	return cache.Playlist{}, nil, fmt.Errorf("playlist %q: %w", ref, cache.ErrNotFound)
}

func (f *fakeBackend) Tracks(ctx context.Context, q string, limit int) ([]cache.LocalTrack, error) {
	return nil, nil
}

func (f *fakeBackend) Missing(ctx context.Context, ref string) ([]cache.MissingTrack, error) {
	return []cache.MissingTrack{
		{SpotifyTrack: cache.SpotifyTrack{ID: "t3", URI: "spotify:track:t3", Name: "Hallogallo, live",
			Artists: []cache.Artist{{Name: "NEU!"}}, AlbumName: "NEU!", ISRC: "DEX1"}, Playlists: []string{"Krautrock"}},
	}, nil
}

func (f *fakeBackend) Outages(ctx context.Context) ([]api.Outage, error) {
	start := time.Date(2026, 11, 1, 20, 0, 0, 0, time.UTC)
	end := start.Add(25 * time.Minute)
	return []api.Outage{
		{Start: start, End: &end, Cause: "dns", PlayedLocallyMs: 20 * 60_000},
		{Start: time.Now().Add(-time.Minute), Cause: "timeout"},
	}, nil
}

func (f *fakeBackend) SetMatch(ctx context.Context, id, kind, path string) (api.MatchInfo, error) {
	return api.MatchInfo{SpotifyID: id}, f.record("SetMatch", kind)
}
func (f *fakeBackend) ResetMatch(ctx context.Context, id string) (api.MatchInfo, error) {
	return api.MatchInfo{SpotifyID: id}, f.record("ResetMatch", id)
}
func (f *fakeBackend) StartSync(ctx context.Context) error { return f.record("StartSync", nil) }
func (f *fakeBackend) StartScan(ctx context.Context) error { return f.record("StartScan", nil) }

func (f *fakeBackend) Subscribe() (<-chan api.Event, func()) {
	ch := make(chan api.Event, 8)
	f.mu.Lock()
	f.events = ch
	f.mu.Unlock()
	var once gosync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			if f.events == ch {
				f.events = nil
			}
			f.mu.Unlock()
			close(ch)
		})
	}
}

func (f *fakeBackend) emit(ev api.Event) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events == nil {
		return false
	}
	select {
	case f.events <- ev:
		return true
	default:
		return false
	}
}

// serve runs the API with the page on a loopback port and returns its base
// URL.
func serve(t *testing.T, b api.Backend, token string) string {
	t.Helper()
	s, err := api.New(b, api.Options{Listen: "127.0.0.1:0", Token: token, Page: web.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + s.Addr()
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestPageServed(t *testing.T) {
	const token = "s3cret-t0ken-that-must-not-leak"
	base := serve(t, &fakeBackend{title: "x"}, token)

	res, body := get(t, base+"/", token)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<div id="app">`, `src="/static/app.js"`, `href="/static/app.css"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / lacks %s", want)
		}
	}
	if inline := regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]|<script>|\son[a-z]+\s*=|javascript:`).FindString(body); inline != "" {
		t.Errorf("GET / has inline script (%q): the page's CSP forbids it", inline)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("the API's security headers are missing on /")
	}

	for path, ctype := range map[string]string{"/static/app.js": "text/javascript", "/static/app.css": "text/css"} {
		res, b := get(t, base+path, token)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) || len(b) < 100 {
			t.Errorf("GET %s: %d %q, %d bytes", path, res.StatusCode, res.Header.Get("Content-Type"), len(b))
		}
		body += b
	}
	if strings.Contains(body, token) {
		t.Error("the token is in the page source")
	}
	if node, err := exec.LookPath("node"); err == nil {
		if out, err := exec.Command(node, "--check", "static/app.js").CombinedOutput(); err != nil {
			t.Errorf("app.js does not parse: %v\n%s", err, out)
		}
	}

	// The page itself needs no token (it holds none; it asks for it), the
	// API behind it does.
	if res, _ := get(t, base+"/", ""); res.StatusCode != 200 {
		t.Errorf("GET / without the token: %d, want 200", res.StatusCode)
	}
	if res, _ := get(t, base+"/api/v1/status", ""); res.StatusCode != 401 {
		t.Errorf("GET /api/v1/status without the token: %d, want 401", res.StatusCode)
	}
	for _, p := range []string{"/static/nope.js", "/static/../web.go", "/index.html"} {
		if res, _ := get(t, base+p, token); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", base+"/", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 405 {
		t.Errorf("POST /: %v %v, want 405", res, err)
	}
}

const chromium = "/usr/bin/chromium"

func TestPageInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is needed to test the web page: apt-get install -y chromium (%v)", chromium, err)
	}
	f := &fakeBackend{title: "Halleluhwah"}
	base := serve(t, f, "")

	// Not t.TempDir: Chromium's helpers may still write to it as it exits.
	profile, err := os.MkdirTemp("", "tapedeck-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 10 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(390, 844), // a phone
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 25*time.Second)
	defer cancelT()

	var mu gosync.Mutex
	var problems []string
	chromedp.ListenTarget(ctx, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
			}
		case *runtime.EventExceptionThrown:
			p = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				p += " " + ev.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError || ev.Entry.Level == log.LevelWarning {
				p = "log " + string(ev.Entry.Level) + ": " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if p != "" {
			mu.Lock()
			problems = append(problems, p)
			mu.Unlock()
		}
	})

	poll := func(expr string) chromedp.Action {
		return chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(8*time.Second))
	}
	if err := chromedp.Run(ctx, log.Enable(), chromedp.Navigate(base+"/"),
		poll(`document.getElementById("title").textContent === "Halleluhwah"`),
		poll(`document.querySelectorAll("#playlists .cov-fill").length === 3`),
		poll(`document.getElementById("live").dataset.state === "on"`),
	); err != nil {
		t.Fatalf("page did not load: %v (browser said: %q)", err, problems)
	}

	var text struct{ Source, Conn, Toggle, Time string }
	if err := chromedp.Run(ctx, chromedp.Evaluate(`({
		Source: document.getElementById("source").textContent,
		Conn: document.getElementById("conn").textContent,
		Toggle: document.getElementById("toggle").getAttribute("aria-label"),
		Time: document.getElementById("time").textContent})`, &text)); err != nil {
		t.Fatal(err)
	}
	if text.Source != "Your copy" || text.Conn != "Spotify offline" || text.Toggle != "Pause" || !strings.HasPrefix(text.Time, "1:0") {
		t.Errorf("now playing shows %+v", text)
	}

	// Coverage bars are as wide as the API says.
	var bars []struct {
		ID    string
		Frac  float64
		Style string
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("#playlists li")].map(li => {
		const bar = li.querySelector(".cov"), fill = li.querySelector(".cov-fill");
		return {ID: li.dataset.id, Frac: fill.getBoundingClientRect().width / bar.getBoundingClientRect().width, Style: fill.style.width};
	})`, &bars)); err != nil {
		t.Fatal(err)
	}
	if len(bars) != len(playlists) {
		t.Fatalf("%d bars, want %d", len(bars), len(playlists))
	}
	for i, b := range bars {
		p := playlists[i]
		if b.ID != p.ID || math.Abs(b.Frac*100-p.Coverage) > 1 || b.Style != fmt.Sprint(p.Coverage)+"%" {
			t.Errorf("bar %d: %+v, want %s at %v%%", i, b, p.ID, p.Coverage)
		}
	}
	var names string
	chromedp.Run(ctx, chromedp.Text("#playlists", &names, chromedp.ByQuery))
	if !strings.Contains(names, `<b>Jazz</b> & "Soul"`) {
		t.Errorf("playlist names shown as %q: want the name as text", names)
	}

	// Pause (a same-origin POST with JSON content type passes the checks).
	wait := func(name string) any {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if a, ok := f.called(name); ok {
				return a
			}
		}
		t.Fatalf("the backend's %s was not called (browser said: %q)", name, problems)
		return nil
	}
	if err := chromedp.Run(ctx, chromedp.Click("#toggle", chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	wait("Pause")
	if err := chromedp.Run(ctx, chromedp.Click("#next", chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	wait("Next")

	// Volume (PUT).
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const v = document.getElementById("volume");
		v.value = 73; v.dispatchEvent(new Event("change")); })()`, nil)); err != nil {
		t.Fatal(err)
	}
	if v := wait("SetVolume"); v != 73 {
		t.Errorf("SetVolume(%v), want 73", v)
	}

	// A playlist's entries, then play it.
	var entries []struct{ Name, Match string }
	if err := chromedp.Run(ctx,
		chromedp.Click(`#playlists li[data-id="pl1"] button`, chromedp.ByQuery),
		poll(`!document.getElementById("detail").hidden && document.querySelectorAll("#entries li").length === 4`),
		chromedp.Evaluate(`[...document.querySelectorAll("#entries li")].map(li => ({
			Name: li.querySelector(".t").textContent, Match: li.querySelector(".match").textContent}))`, &entries),
		chromedp.Click("#play-playlist", chromedp.ByID),
	); err != nil {
		t.Fatalf("%v (browser said: %q)", err, problems)
	}
	want := []struct{ Name, Match string }{{"Mother Sky", "isrc"}, {"Halleluhwah", "tags"}, {"Hallogallo", "missing"}, {"(unavailable on Spotify)", "missing"}}
	if fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Errorf("entries %v, want %v", entries, want)
	}
	if r, _ := wait("Play").(api.PlayRequest); r.Playlist != "pl1" {
		t.Errorf("Play(%+v), want playlist pl1", r)
	}

	// Missing, with its CSV built in the page.
	var csv string
	if err := chromedp.Run(ctx,
		chromedp.Click(`.tab[data-tab="missing"]`, chromedp.ByQuery),
		poll(`document.getElementById("missing-csv").href.startsWith("data:text/csv")`),
		chromedp.Evaluate(`decodeURIComponent(document.getElementById("missing-csv").href.split(",").slice(1).join(","))`, &csv),
	); err != nil {
		t.Fatalf("%v (browser said: %q)", err, problems)
	}
	if !strings.Contains(csv, "artists,title,album,isrc,spotify_uri,playlists\r\n") ||
		!strings.Contains(csv, `NEU!,"Hallogallo, live",NEU!,DEX1,spotify:track:t3,Krautrock`) {
		t.Errorf("CSV:\n%s", csv)
	}

	// Outages, the ongoing one first.
	var outages []string
	if err := chromedp.Run(ctx,
		chromedp.Click(`.tab[data-tab="outages"]`, chromedp.ByQuery),
		poll(`document.querySelectorAll("#outages li").length === 2`),
		chromedp.Evaluate(`[...document.querySelectorAll("#outages li")].map(li => li.textContent)`, &outages),
	); err != nil {
		t.Fatalf("%v (browser said: %q)", err, problems)
	}
	if !strings.Contains(outages[0], "ongoing") || !strings.Contains(outages[1], "dns") {
		t.Errorf("outages %q", outages)
	}

	// An event makes the page fetch the status again.
	f.setTitle("Mother Sky")
	if !f.emit(api.Event{Type: "track", Data: map[string]string{"spotify_id": "t1"}}) {
		t.Fatal("no event subscriber")
	}
	if err := chromedp.Run(ctx, poll(`document.getElementById("title").textContent === "Mother Sky"`)); err != nil {
		t.Fatalf("the page did not follow the track event: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the browser reported problems:\n%s", strings.Join(problems, "\n"))
	}
}
