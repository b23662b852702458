package web_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/internal/browser"
	"github.com/tapedeck/tapedeck/media"
	"github.com/tapedeck/tapedeck/web"
)

// fakeBackend answers with canned data, records the calls that change
// something (and the library searches), and keeps the match decisions so
// that the playlist it returns shows them.
type fakeBackend struct {
	mu        gosync.Mutex
	calls     []string
	args      []any
	title     string
	events    chan api.Event
	decisions map[string]decision // by Spotify id
	queue     api.Queue
}

// decision is a SetMatch call.
type decision struct{ ID, Kind, Path string }

func (f *fakeBackend) record(name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	f.args = append(f.args, arg)
	return nil
}

// count says how many times name was called.
func (f *fakeBackend) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
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
		Playlist: &api.PlaylistRef{ID: "pl1", Name: "Krautrock", Items: 4, PlayableOffline: 2},
		Spotify: api.SpotifyStatus{Connectivity: "offline", LastError: "dial tcp: i/o timeout",
			App: &api.SpotifyApp{Name: "org.mpris.MediaPlayer2.spotify", Status: "Paused", TrackID: "t2"}},
		Library: api.LibraryStatus{Tracks: 1234},
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
func (f *fakeBackend) SetShuffle(ctx context.Context, on bool) error {
	return f.record("SetShuffle", on)
}
func (f *fakeBackend) SetRepeat(ctx context.Context, m string) error { return f.record("SetRepeat", m) }
func (f *fakeBackend) SetQueue(ctx context.Context, r api.PlayRequest) error {
	return f.record("SetQueue", r)
}
func (f *fakeBackend) Queue(ctx context.Context) (api.Queue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queueLocked(), nil
}

func (f *fakeBackend) queueLocked() api.Queue {
	q := f.queue
	q.Entries = slices.Clone(q.Entries)
	if len(q.Entries) == 0 {
		q.Index = -1
	}
	return q
}

func (f *fakeBackend) AddToQueue(ctx context.Context, r api.QueueAddRequest) (api.Queue, error) {
	f.record("AddToQueue", r)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range r.Paths {
		f.queue.Entries = append(f.queue.Entries, api.QueueEntry{Path: p, Title: path.Base(p)})
	}
	return f.queueLocked(), nil
}

// RemoveFromQueue and MoveInQueue edit the queue as the daemon does, the
// current entry following its track.
func (f *fakeBackend) RemoveFromQueue(ctx context.Context, i int) (api.Queue, error) {
	f.record("RemoveFromQueue", i)
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.queue.Entries) {
		return api.Queue{}, fmt.Errorf("%w: no queue entry %d", api.ErrNotFound, i)
	}
	f.queue.Entries = slices.Delete(f.queue.Entries, i, i+1)
	if i < f.queue.Index {
		f.queue.Index--
	}
	return f.queueLocked(), nil
}

func (f *fakeBackend) MoveInQueue(ctx context.Context, from, to int) (api.Queue, error) {
	f.record("MoveInQueue", [2]int{from, to})
	f.mu.Lock()
	defer f.mu.Unlock()
	q := &f.queue
	if from >= len(q.Entries) || to >= len(q.Entries) {
		return api.Queue{}, fmt.Errorf("%w: no queue entry %d", api.ErrNotFound, max(from, to))
	}
	cur := q.Entries[max(q.Index, 0)]
	e := q.Entries[from]
	q.Entries = slices.Insert(slices.Delete(q.Entries, from, from+1), to, e)
	q.Index = slices.IndexFunc(q.Entries, func(x api.QueueEntry) bool { return x.Path == cur.Path })
	return f.queueLocked(), nil
}

var playlists = []cache.Playlist{
	{ID: "pl1", Kind: "playlist", Name: "Krautrock", Readable: true, Items: 4, Playable: 2, Coverage: 50},
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
			items := []cache.PlaylistItem{
				{Position: 0, Track: tr("t1", "Mother Sky", "Can"), LocalPath: "/music/Can/Mother Sky.flac", MatchMethod: "isrc", MatchScore: 1},
				{Position: 1, Track: tr("t2", "Halleluhwah", "Can"), LocalPath: "/music/Can/Halleluhwah.flac", MatchMethod: "tags", MatchScore: 0.93},
				{Position: 2, Track: tr("t3", "Hallogallo", "NEU!")},
				{Position: 3},
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			p.Playable = 0
			for i, it := range items {
				if it.Track != nil {
					items[i] = f.decisions[it.Track.ID].apply(it)
				}
				if items[i].LocalPath != "" {
					p.Playable++
				}
			}
			p.Coverage = 100 * float64(p.Playable) / float64(p.Items)
			return p, items, nil
		}
	}
	return cache.Playlist{}, nil, fmt.Errorf("playlist %q: %w", ref, cache.ErrNotFound)
}

// apply changes an automatic match as the daemon would after d.
func (d decision) apply(it cache.PlaylistItem) cache.PlaylistItem {
	switch {
	case d.Kind == cache.OverridePin:
		it.LocalPath, it.MatchMethod, it.MatchScore = d.Path, "pin", 1
	case d.Kind == cache.OverrideNone:
		it.LocalPath, it.MatchMethod, it.MatchScore = "", "none", 0
	case d.Kind == cache.OverrideReject && d.Path == it.LocalPath:
		it.LocalPath, it.MatchMethod, it.MatchScore = "", "", 0
	}
	return it
}

// goneFile is a search result that the backend refuses to pin.
const goneFile = "/music/gone.flac"

var hallogallo = cache.LocalTrack{ID: 7, Path: "/music/NEU!/NEU!/01 Hallogallo.flac", Info: media.Info{
	Format: "flac", DurationMs: 604_000, Title: "Hallogallo", Artists: []string{"NEU!"}, Album: "NEU!"}}

func (f *fakeBackend) Tracks(ctx context.Context, q string, limit int) ([]cache.LocalTrack, error) {
	f.record("Tracks", q)
	if !strings.Contains(strings.ToLower(q), "hallo") {
		return nil, nil
	}
	return []cache.LocalTrack{hallogallo,
		{ID: 8, Path: goneFile, Info: media.Info{Format: "flac", Title: "Hallogallo (bootleg)", Artists: []string{"NEU!"}}}}, nil
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
	d := decision{id, kind, path}
	f.record("SetMatch", d)
	if path == goneFile {
		return api.MatchInfo{}, fmt.Errorf("%w: %s is not in the index", api.ErrBadRequest, path)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.decisions == nil {
		f.decisions = map[string]decision{}
	}
	f.decisions[id] = d
	return api.MatchInfo{SpotifyID: id, Method: kind}, nil
}

func (f *fakeBackend) ResetMatch(ctx context.Context, id string) (api.MatchInfo, error) {
	f.record("ResetMatch", id)
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.decisions, id)
	return api.MatchInfo{SpotifyID: id}, nil
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

func TestPageInBrowser(t *testing.T) {
	b := browser.Start(t, 40*time.Second)
	f := &fakeBackend{title: "Halleluhwah", queue: api.Queue{Index: 1, Playlist: &api.PlaylistRef{ID: "pl1", Name: "Krautrock"},
		Entries: []api.QueueEntry{
			{Path: "/music/Can/Mother Sky.flac", Title: "Mother Sky", Artists: []string{"Can"}, DurationMs: 860_000},
			{Path: "/music/Can/Halleluhwah.flac", Title: "Halleluhwah", Artists: []string{"Can"}, DurationMs: 1_100_000},
			{Path: "/music/NEU!/Hallogallo.flac", Title: "Hallogallo", Artists: []string{"NEU!"}, DurationMs: 604_000},
			{Path: "/music/Can/Vitamin C.flac", Title: "Vitamin C", Artists: []string{"Can"}, DurationMs: 212_000},
		}}}
	base := serve(t, f, "")
	poll := browser.Poll
	js := func(expr string, v any) {
		t.Helper()
		b.Run(t, expr, chromedp.Evaluate(expr, v))
	}

	b.Run(t, "load the page", chromedp.Navigate(base+"/"),
		poll(`document.getElementById("title").textContent === "Halleluhwah"`),
		poll(`document.querySelectorAll("#playlists .cov-fill").length === 3`),
		poll(`document.getElementById("live").dataset.state === "on"`),
	)

	var text struct{ Source, Conn, Why, Toggle, Time string }
	js(`({
		Source: document.getElementById("source").textContent,
		Conn: document.getElementById("conn").textContent,
		Why: document.getElementById("why").textContent,
		Toggle: document.getElementById("toggle").getAttribute("aria-label"),
		Time: document.getElementById("time").textContent})`, &text)
	if text.Source != "Your copy" || text.Conn != "Spotify offline" || text.Toggle != "Pause" || !strings.HasPrefix(text.Time, "1:0") {
		t.Errorf("now playing shows %+v", text)
	}
	// Why, in words (no hover on a phone), and the Spotify app.
	if want := "Spotify offline: dial tcp: i/o timeout · Spotify app on this computer: paused"; text.Why != want {
		t.Errorf("the why line says %q, want %q", text.Why, want)
	}

	// Coverage bars are as wide as the API says.
	var bars []struct {
		ID    string
		Frac  float64
		Style string
	}
	js(`[...document.querySelectorAll("#playlists li")].map(li => {
		const bar = li.querySelector(".cov"), fill = li.querySelector(".cov-fill");
		return {ID: li.dataset.id, Frac: fill.getBoundingClientRect().width / bar.getBoundingClientRect().width, Style: fill.style.width};
	})`, &bars)
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
	b.Run(t, "playlist names", chromedp.Text("#playlists", &names, chromedp.ByQuery))
	if !strings.Contains(names, `<b>Jazz</b> & "Soul"`) {
		t.Errorf("playlist names shown as %q: want the name as text", names)
	}

	// waitCall waits for the n-th call to name and returns its argument.
	waitCall := func(name string, n int) any {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if f.count(name) >= n {
				a, _ := f.called(name)
				return a
			}
		}
		t.Fatalf("the backend's %s was not called %d times (browser said: %q)", name, n, b.Problems())
		return nil
	}

	// Pause (a same-origin POST with JSON content type passes the checks).
	b.Run(t, "pause", chromedp.Click("#toggle", chromedp.ByID))
	waitCall("Pause", 1)
	b.Run(t, "next", chromedp.Click("#next", chromedp.ByID))
	waitCall("Next", 1)

	// Volume (PUT).
	js(`(() => { const v = document.getElementById("volume");
		v.value = 73; v.dispatchEvent(new Event("change")); })()`, nil)
	if v := waitCall("SetVolume", 1); v != 73 {
		t.Errorf("SetVolume(%v), want 73", v)
	}

	// Shuffle and repeat: the buttons show the status and send the next mode.
	var modes struct{ Shuffle, Repeat string }
	js(`({Shuffle: document.getElementById("shuffle").getAttribute("aria-pressed"),
		Repeat: document.getElementById("repeat").getAttribute("aria-label")})`, &modes)
	if modes.Shuffle != "false" || modes.Repeat != "Repeat: off" {
		t.Errorf("mode buttons show %+v, want shuffle off, repeat off", modes)
	}
	b.Run(t, "shuffle", chromedp.Click("#shuffle", chromedp.ByID))
	if v := waitCall("SetShuffle", 1); v != true {
		t.Errorf("SetShuffle(%v), want true", v)
	}
	b.Run(t, "repeat", chromedp.Click("#repeat", chromedp.ByID))
	if v := waitCall("SetRepeat", 1); v != "all" {
		t.Errorf("SetRepeat(%v), want all (off → all)", v)
	}

	seek(t, b, f, waitCall)

	// A playlist's entries, then play it.
	var entries []struct{ Name, Match string }
	b.Run(t, "open a playlist",
		chromedp.Click(`#playlists li[data-id="pl1"] button`, chromedp.ByQuery),
		poll(`!document.getElementById("detail").hidden && document.querySelectorAll("#entries > li").length === 4`),
		chromedp.Evaluate(`[...document.querySelectorAll("#entries > li")].map(li => ({
			Name: li.querySelector(".t").textContent, Match: li.querySelector(".match").textContent}))`, &entries),
		chromedp.Click("#play-playlist", chromedp.ByID),
	)
	want := []struct{ Name, Match string }{{"Mother Sky", "isrc"}, {"Halleluhwah", "tags"}, {"Hallogallo", "missing"}, {"(unavailable on Spotify)", "missing"}}
	if fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Errorf("entries %v, want %v", entries, want)
	}
	if r, _ := waitCall("Play", 1).(api.PlayRequest); r.Playlist != "pl1" {
		t.Errorf("Play(%+v), want playlist pl1", r)
	}

	matchDecisions(t, b, f)
	queueEdits(t, b, f)

	// Missing, with its CSV built in the page.
	var csv string
	b.Run(t, "missing",
		chromedp.Click(`.tab[data-tab="missing"]`, chromedp.ByQuery),
		poll(`document.getElementById("missing-csv").href.startsWith("data:text/csv")`),
		chromedp.Evaluate(`decodeURIComponent(document.getElementById("missing-csv").href.split(",").slice(1).join(","))`, &csv),
	)
	if !strings.Contains(csv, "artists,title,album,isrc,spotify_uri,playlists\r\n") ||
		!strings.Contains(csv, `NEU!,"Hallogallo, live",NEU!,DEX1,spotify:track:t3,Krautrock`) {
		t.Errorf("CSV:\n%s", csv)
	}

	// Outages, the ongoing one first.
	var outages []string
	b.Run(t, "outages",
		chromedp.Click(`.tab[data-tab="outages"]`, chromedp.ByQuery),
		poll(`document.querySelectorAll("#outages li").length === 2`),
		chromedp.Evaluate(`[...document.querySelectorAll("#outages li")].map(li => li.textContent)`, &outages),
	)
	if !strings.Contains(outages[0], "ongoing") || !strings.Contains(outages[1], "dns") {
		t.Errorf("outages %q", outages)
	}

	// An event makes the page fetch the status again.
	f.setTitle("Mother Sky")
	if !f.emit(api.Event{Type: "track", Data: map[string]string{"spotify_id": "t1"}}) {
		t.Fatal("no event subscriber")
	}
	b.Run(t, "follow the track event", poll(`document.getElementById("title").textContent === "Mother Sky"`))

	// The one refused pin (see matchDecisions) is the only failed request.
	if p := b.Problems("status of 400 (Bad Request) " + base + "/api/v1/matches/t3"); len(p) > 0 {
		t.Errorf("the browser reported problems:\n%s", strings.Join(p, "\n"))
	}
}

// seek clicks a quarter of the way along the position slider, then steps
// it with the keyboard: both reach the backend, and the slider follows the
// clock while the track plays.
func seek(t *testing.T, b *browser.Browser, f *fakeBackend, waitCall func(string, int) any) {
	t.Helper()
	const dur = 1_100_000 // the fake's track
	var max string
	var v0 float64
	if err := chromedp.Run(b.Ctx,
		chromedp.AttributeValue("#seek", "max", &max, nil, chromedp.ByID),
		chromedp.Evaluate(`Number(document.getElementById("seek").value)`, &v0),
		// The page moves the slider by itself while playing.
		browser.Poll(fmt.Sprintf(`Number(document.getElementById("seek").value) >= %v`, v0+1000)),
	); err != nil {
		t.Fatalf("the slider does not follow playback: %v (browser said: %q)", err, b.Problems())
	}
	if max != fmt.Sprint(dur) || v0 < 61_000 || v0 > 70_000 {
		t.Errorf("slider max %s value %v, want %d and about 61000", max, v0, dur)
	}

	var r struct{ X, Y, W, H float64 }
	if err := chromedp.Run(b.Ctx, chromedp.ScrollIntoView("#seek", chromedp.ByID),
		chromedp.Evaluate(`(() => { const r = document.getElementById("seek").getBoundingClientRect();
			return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`, &r),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(b.Ctx, chromedp.MouseClickXY(r.X+r.W/4, r.Y+r.H/2)); err != nil {
		t.Fatal(err)
	}
	ms, _ := waitCall("Seek", 1).(int64)
	if ms < dur/4-dur/20 || ms > dur/4+dur/20 || ms%1000 != 0 {
		t.Errorf("a click a quarter along sought to %d ms, want about %d in whole seconds", ms, dur/4)
	}
	// The slider and the time stay where the listener put them.
	var now struct {
		Value float64
		Time  string
	}
	if err := chromedp.Run(b.Ctx, chromedp.Evaluate(`({Value: Number(document.getElementById("seek").value),
		Time: document.getElementById("time").textContent})`, &now)); err != nil {
		t.Fatal(err)
	}
	if now.Value < float64(ms) || now.Value > float64(ms+3000) || !strings.HasPrefix(now.Time, fmt.Sprintf("%d:", ms/60000)) {
		t.Errorf("after seeking to %d ms the page shows %+v", ms, now)
	}

	n := f.count("Seek")
	if err := chromedp.Run(b.Ctx, chromedp.Focus("#seek", chromedp.ByID), chromedp.KeyEvent(kb.ArrowRight)); err != nil {
		t.Fatal(err)
	}
	if next, _ := waitCall("Seek", n+1).(int64); next <= ms || next > ms+5000 {
		t.Errorf("the right arrow after %d ms sought to %d ms", ms, next)
	}
}

// matchDecisions pins, rejects, says "no copy" and resets from the open
// playlist's entries: each reaches the backend with the entry's Spotify id,
// and the entries and coverage shown follow.
func matchDecisions(t *testing.T, b *browser.Browser, f *fakeBackend) {
	t.Helper()
	poll := browser.Poll
	entry := func(pos int, sel string) string { return fmt.Sprintf(`#entries > li[data-pos="%d"] %s`, pos, sel) }
	shows := func(pos int, match, cov string) chromedp.Action {
		return poll(fmt.Sprintf(`document.querySelector(%q).textContent === %q && document.getElementById("detail-cov").textContent.startsWith(%q)`,
			entry(pos, ".match"), match, cov))
	}
	// Each step below waits until the page shows the backend's answer, so
	// the call it checks has been made.
	lastDecision := func(want decision) {
		t.Helper()
		if got, _ := f.called("SetMatch"); got != want {
			t.Errorf("SetMatch(%+v), want %+v", got, want)
		}
	}
	b.Run(t, "coverage before", shows(2, "missing", "2 of 4"))

	// Pin: the panel opens with the search focused and the entry's name in
	// it; what the listener types is searched.
	input := entry(2, ".match-panel input")
	b.Run(t, "open the match panel of Hallogallo",
		chromedp.Click(entry(2, ".fix"), chromedp.ByQuery),
		poll(fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, input)),
		poll(fmt.Sprintf(`document.querySelectorAll(%q).length === 2`, entry(2, ".match-results li"))),
	)
	var expanded string
	b.Run(t, "aria-expanded", chromedp.AttributeValue(entry(2, ".fix"), "aria-expanded", &expanded, nil, chromedp.ByQuery))
	if q, _ := f.called("Tracks"); q != "Hallogallo NEU!" || expanded != "true" {
		t.Errorf("the panel searched %q first (want the entry's title and artist), aria-expanded %q", q, expanded)
	}

	// A scan meanwhile refreshes the status but leaves the panel alone.
	f.setTitle("Vitamin C")
	if !f.emit(api.Event{Type: "scan", Data: map[string]string{"phase": "done"}}) {
		t.Fatal("no event subscriber")
	}
	b.Run(t, "status after the scan event", poll(`document.getElementById("title").textContent === "Vitamin C"`))
	var open bool
	b.Run(t, "panel after the scan event", chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q) === document.activeElement`, input), &open))
	if !open {
		t.Error("a scan event closed the match panel in use")
	}

	results := fmt.Sprintf(`document.querySelectorAll(%q).length`, entry(2, ".match-results li"))
	b.Run(t, "clear the search", chromedp.Evaluate(fmt.Sprintf(`(() => { const q = document.querySelector(%q);
		q.value = ""; q.dispatchEvent(new Event("input")); })()`, input), nil),
		poll(results+` === 0`))
	b.Run(t, "search", chromedp.SendKeys(input, "hallo", chromedp.ByQuery), poll(results+` === 2`))
	if q, _ := f.called("Tracks"); q != "hallo" {
		t.Errorf("last search %q, want what was typed", q)
	}

	// A refused pin says why in the error area and keeps the panel.
	b.Run(t, "pin a file the backend refuses",
		chromedp.Click(entry(2, fmt.Sprintf(`.match-results li[data-path=%q] .pin`, goneFile)), chromedp.ByQuery),
		poll(`!document.getElementById("error").hidden && document.getElementById("error").textContent.includes("is not in the index")`),
	)
	lastDecision(decision{"t3", "pin", goneFile})
	b.Run(t, "pin", chromedp.Click(entry(2, fmt.Sprintf(`.match-results li[data-path=%q] .pin`, hallogallo.Path)), chromedp.ByQuery),
		shows(2, "pin", "3 of 4"),
		poll(`document.getElementById("error").hidden`),
		poll(fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, entry(2, ".fix"))),
	)
	lastDecision(decision{"t3", "pin", hallogallo.Path})

	b.Run(t, "reject", chromedp.Click(entry(1, ".fix"), chromedp.ByQuery),
		chromedp.Click(entry(1, ".match-panel .reject"), chromedp.ByQuery),
		shows(1, "missing", "2 of 4"))
	lastDecision(decision{"t2", "reject", "/music/Can/Halleluhwah.flac"})

	b.Run(t, "no copy", chromedp.Click(entry(0, ".fix"), chromedp.ByQuery),
		chromedp.Click(entry(0, ".match-panel .none"), chromedp.ByQuery),
		shows(0, "no copy", "1 of 4"))
	lastDecision(decision{"t1", "none", ""})

	// The pinned file cannot be pinned again; reset goes back to automatic.
	b.Run(t, "reset", chromedp.Click(entry(2, ".fix"), chromedp.ByQuery),
		poll(fmt.Sprintf(`document.querySelector(%q)?.disabled === true`,
			entry(2, fmt.Sprintf(`.match-results li[data-path=%q] .pin`, hallogallo.Path)))),
		chromedp.Click(entry(2, ".match-panel .reset"), chromedp.ByQuery),
		shows(2, "missing", "0 of 4"))
	if id, _ := f.called("ResetMatch"); id != "t3" {
		t.Errorf("ResetMatch(%v), want t3", id)
	}
	if f.count("SetMatch") != 4 || f.count("ResetMatch") != 1 {
		t.Errorf("%d SetMatch and %d ResetMatch calls, want 4 and 1", f.count("SetMatch"), f.count("ResetMatch"))
	}

	// The entry of a gap has nothing to match.
	var fixes int
	b.Run(t, "gap", chromedp.Evaluate(`document.querySelectorAll('#entries > li[data-pos="3"] .fix').length`, &fixes))
	if fixes != 0 {
		t.Error("the gap (no Spotify track) offers a match button")
	}
}

// queueEdits lists the queue in its tab, then removes and moves entries
// with their buttons: each reaches the backend with the entry's index (from
// 0, while the page numbers from 1), the list shows the queue the backend
// answers with, and the focus stays on the entry moved for the keyboard.
func queueEdits(t *testing.T, b *browser.Browser, f *fakeBackend) {
	t.Helper()
	poll := browser.Poll
	type row struct {
		Title             string
		Current, Up, Down bool
	}
	rows := func() []row {
		t.Helper()
		var rs []row
		b.Run(t, "read the queue", chromedp.Evaluate(`[...document.querySelectorAll("#queue > li")].map(li => ({
			Title: li.querySelector(".t").textContent, Current: li.getAttribute("aria-current") === "true",
			Up: !li.querySelector(".up").disabled, Down: !li.querySelector(".down").disabled}))`, &rs))
		return rs
	}
	titles := func(want ...string) chromedp.Action {
		return poll(fmt.Sprintf(`JSON.stringify([...document.querySelectorAll("#queue > li .t")].map(e => e.textContent)) === %q`,
			fmt.Sprintf(`["%s"]`, strings.Join(want, `","`))))
	}
	btn := func(i int, kind string) string { return fmt.Sprintf(`#queue > li[data-index="%d"] .%s`, i, kind) }
	focused := func(sel string) chromedp.Action {
		return poll(fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel))
	}

	b.Run(t, "open the queue", chromedp.Click(`.tab[data-tab="queue"]`, chromedp.ByQuery),
		titles("1. Mother Sky", "2. Halleluhwah", "3. Hallogallo", "4. Vitamin C"))
	want := []row{{"1. Mother Sky", false, false, true}, {"2. Halleluhwah", true, true, true},
		{"3. Hallogallo", false, true, true}, {"4. Vitamin C", false, true, false}}
	if got := rows(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("queue shows %v, want %v", got, want)
	}
	var from string
	b.Run(t, "playlist", chromedp.Text("#queue-from", &from, chromedp.ByID))
	if from != "from Krautrock" {
		t.Errorf("queue's playlist shown as %q", from)
	}

	b.Run(t, "remove the third", chromedp.Click(btn(2, "remove"), chromedp.ByQuery),
		titles("1. Mother Sky", "2. Halleluhwah", "3. Vitamin C"), focused(btn(2, "remove")))
	if i, _ := f.called("RemoveFromQueue"); i != 2 {
		t.Errorf("RemoveFromQueue(%v), want 2", i)
	}
	b.Run(t, "move the last up", chromedp.Click(btn(2, "up"), chromedp.ByQuery),
		titles("1. Mother Sky", "2. Vitamin C", "3. Halleluhwah"), focused(btn(1, "up")))
	if m, _ := f.called("MoveInQueue"); m != [2]int{2, 1} {
		t.Errorf("MoveInQueue(%v), want [2 1]", m)
	}
	// The keyboard alone: the focus followed the entry, Enter moves it again.
	b.Run(t, "move it up again with the keyboard", chromedp.KeyEvent(kb.Enter),
		titles("1. Vitamin C", "2. Mother Sky", "3. Halleluhwah"), focused(btn(0, "remove")))
	b.Run(t, "move the first down", chromedp.Click(btn(0, "down"), chromedp.ByQuery),
		titles("1. Mother Sky", "2. Vitamin C", "3. Halleluhwah"), focused(btn(1, "down")))
	if m, _ := f.called("MoveInQueue"); m != [2]int{0, 1} {
		t.Errorf("MoveInQueue(%v), want [0 1]", m)
	}
	if got := rows(); !got[2].Current || got[2].Down || !got[0].Down || got[0].Up {
		t.Errorf("after the edits the queue shows %v: the playing track (Halleluhwah) last", got)
	}
	if f.count("RemoveFromQueue") != 1 || f.count("MoveInQueue") != 3 {
		t.Errorf("%d removals and %d moves reached the backend, want 1 and 3", f.count("RemoveFromQueue"), f.count("MoveInQueue"))
	}

	// An edit made elsewhere (the CLI) shows through its event.
	f.AddToQueue(context.Background(), api.QueueAddRequest{Paths: []string{"/music/Can/Oh Yeah.flac"}})
	if !f.emit(api.Event{Type: "queue", Data: map[string]int{"index": 2, "length": 4}}) {
		t.Fatal("no event subscriber")
	}
	b.Run(t, "follow the queue event", titles("1. Mother Sky", "2. Vitamin C", "3. Halleluhwah", "4. Oh Yeah.flac"))
}
