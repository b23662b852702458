package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/cache"
)

// testServer is a Server running on a real loopback listener.
type testServer struct {
	*Server
	URL  string
	stop func() error // ends Run and returns its error
}

func start(t testing.TB, b Backend, opts Options) *testServer {
	t.Helper()
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	s, err := New(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var stopped bool
	var runErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-done
		}
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return &testServer{Server: s, URL: "http://" + s.Addr(), stop: stop}
}

// req sends one request; body "" sends none. Headers are "Name: value".
func (ts *testServer) req(t testing.TB, method, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method != "GET" && method != "HEAD" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "Host":
			r.Host = v
		default:
			if v == "-" {
				r.Header.Del(k)
			} else {
				r.Header.Set(k, v)
			}
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func errorCode(b []byte) string {
	var e errorBody
	json.Unmarshal(b, &e)
	return e.Error.Code
}

func errorMessage(b []byte) string {
	var e errorBody
	json.Unmarshal(b, &e)
	return e.Error.Message
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

func TestRoutes(t *testing.T) {
	f := &fakeBackend{
		PlaylistFunc: func(ref string) (cache.Playlist, []cache.PlaylistItem, error) {
			return cache.Playlist{ID: "p1", Name: "Road trip"}, []cache.PlaylistItem{
				{Position: 0, Track: &cache.SpotifyTrack{ID: "t1", Name: "Song", Artists: []cache.Artist{{Name: "A"}, {Name: "B"}}, DurationMs: 61500}, LocalPath: "/m/a.flac", MatchMethod: "isrc", MatchScore: 1},
				{Position: 1, Track: &cache.SpotifyTrack{ID: "t2", Name: "Gone"}},
				{Position: 2},
			}, nil
		},
	}
	ts := start(t, f, Options{Version: "v-test"})
	cases := []struct {
		method, path, body string
		code               int
		ctype              string
		call               string // the backend method expected (last call)
		arg                any    // its argument, when checked
		contains           string // in the body
	}{
		{"GET", "/api/v1/healthz", "", 200, "application/json", "", nil, `"version":"v-test"`},
		{"GET", "/api/v1/openapi.json", "", 200, "application/json", "", nil, `"openapi": "3.1.0"`},
		{"GET", "/api/v1/status", "", 200, "application/json", "Status", nil, `"state":"stopped"`},
		{"POST", "/api/v1/player/play", `{"playlist":"Road trip","index":3,"position_ms":1500}`, 204, "", "Play", PlayRequest{Playlist: "Road trip", Index: 3, PositionMs: 1500}, ""},
		{"POST", "/api/v1/player/play", `{"paths":["/m/a.flac","/m/b.mp3"]}`, 204, "", "Play", PlayRequest{Paths: []string{"/m/a.flac", "/m/b.mp3"}}, ""},
		{"POST", "/api/v1/player/play", `{}`, 204, "", "Play", PlayRequest{}, ""}, // resume
		{"POST", "/api/v1/player/pause", "", 204, "", "Pause", nil, ""},
		{"POST", "/api/v1/player/pause", "{}", 204, "", "Pause", nil, ""},
		{"POST", "/api/v1/player/resume", "", 204, "", "Resume", nil, ""},
		{"POST", "/api/v1/player/stop", "", 204, "", "Stop", nil, ""},
		{"POST", "/api/v1/player/next", "", 204, "", "Next", nil, ""},
		{"POST", "/api/v1/player/previous", "", 204, "", "Previous", nil, ""},
		{"POST", "/api/v1/player/seek", `{"position_ms":90000}`, 204, "", "Seek", int64(90000), ""},
		{"PUT", "/api/v1/player/volume", `{"volume":0}`, 204, "", "SetVolume", 0, ""},
		{"PUT", "/api/v1/player/shuffle", `{"shuffle":true}`, 204, "", "SetShuffle", true, ""},
		{"PUT", "/api/v1/player/repeat", `{"repeat":"one"}`, 204, "", "SetRepeat", "one", ""},
		{"GET", "/api/v1/queue", "", 200, "application/json", "Queue", nil, `"entries":[]`},
		{"PUT", "/api/v1/queue", `{"paths":["/m/a.flac"]}`, 204, "", "SetQueue", PlayRequest{Paths: []string{"/m/a.flac"}}, ""},
		{"POST", "/api/v1/queue/entries", `{"paths":["/m/a.flac","/m/b.mp3"]}`, 201, "application/json", "AddToQueue", QueueAddRequest{Paths: []string{"/m/a.flac", "/m/b.mp3"}}, `"entries":[]`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/m/a.flac"],"next":true}`, 201, "application/json", "AddToQueue", QueueAddRequest{Paths: []string{"/m/a.flac"}, Next: true}, ""},
		{"POST", "/api/v1/queue/entries", `{"playlist":"Road trip","index":0,"at":2}`, 201, "application/json", "AddToQueue", QueueAddRequest{Playlist: "Road trip", Index: ptr(0), At: ptr(2)}, ""},
		{"DELETE", "/api/v1/queue/entries/3", "", 200, "application/json", "RemoveFromQueue", 3, `"index":-1`},
		{"DELETE", "/api/v1/queue/entries/0", "{}", 200, "application/json", "RemoveFromQueue", 0, ""},
		{"POST", "/api/v1/queue/move", `{"from":4,"to":0}`, 200, "application/json", "MoveInQueue", [2]int{4, 0}, `"entries":[]`},
		{"GET", "/api/v1/playlists", "", 200, "application/json", "Playlists", nil, "[]"},
		{"GET", "/api/v1/playlists/Road%20trip", "", 200, "application/json", "Playlist", "Road trip", `"entries":[{"position":0`},
		{"GET", "/api/v1/playlists/p1/m3u", "", 200, "audio/x-mpegurl", "Playlist", "p1", "#EXTM3U\n#EXTINF:62,A, B - Song\n/m/a.flac\n"},
		{"GET", "/api/v1/tracks?q=bjork", "", 200, "application/json", "Tracks", [2]any{"bjork", 100}, "[]"},
		{"GET", "/api/v1/tracks?q=x&limit=1000", "", 200, "application/json", "Tracks", [2]any{"x", 1000}, "[]"},
		{"GET", "/api/v1/missing?playlist=p1", "", 200, "application/json", "Missing", "p1", "[]"},
		{"PUT", "/api/v1/matches/4uLU6h", `{"kind":"pin","path":"/m/a.flac"}`, 200, "application/json", "SetMatch", [3]string{"4uLU6h", "pin", "/m/a.flac"}, `"local_path":"/m/a.flac"`},
		{"PUT", "/api/v1/matches/4uLU6h", `{"kind":"reject","path":"/m/a.flac"}`, 200, "application/json", "SetMatch", [3]string{"4uLU6h", "reject", "/m/a.flac"}, ""},
		{"PUT", "/api/v1/matches/4uLU6h", `{"kind":"none"}`, 200, "application/json", "SetMatch", [3]string{"4uLU6h", "none", ""}, `"local_path":null`},
		{"DELETE", "/api/v1/matches/4uLU6h", "", 200, "application/json", "ResetMatch", "4uLU6h", `"method":"none"`},
		{"POST", "/api/v1/sync", "", 202, "application/json", "StartSync", nil, `"started":"sync"`},
		{"POST", "/api/v1/scan", "", 202, "application/json", "StartScan", nil, `"started":"scan"`},

		// invalid requests: 400 naming the field, no backend call
		{"PUT", "/api/v1/queue", `{}`, 400, "application/json", "", nil, `give \"playlist\"`},
		{"POST", "/api/v1/player/play", ``, 400, "application/json", "", nil, "JSON body is required"},
		{"POST", "/api/v1/player/play", `{"playlist":"x","paths":["/a"]}`, 400, "application/json", "", nil, "not both"},
		{"POST", "/api/v1/player/play", `{"playlist":"x","index":-1}`, 400, "application/json", "", nil, `field \"index\"`},
		{"POST", "/api/v1/player/play", `{"playlist":"x","index":"2"}`, 400, "application/json", "", nil, `field \"index\" must be a number`},
		{"POST", "/api/v1/player/play", `{"playlist":"x","shuffle":true}`, 400, "application/json", "", nil, `unknown field \"shuffle\"`},
		{"POST", "/api/v1/player/play", `{"playlist":"x"} {}`, 400, "application/json", "", nil, "after the object"},
		{"POST", "/api/v1/player/play", `{"playlist":`, 400, "application/json", "", nil, "invalid JSON"},
		{"POST", "/api/v1/player/pause", `nope`, 400, "application/json", "", nil, "invalid JSON"},
		{"POST", "/api/v1/player/seek", `{}`, 400, "application/json", "", nil, `field \"position_ms\" is required`},
		{"POST", "/api/v1/player/seek", `{"position_ms":-5}`, 400, "application/json", "", nil, `position_ms`},
		{"PUT", "/api/v1/player/volume", `{"volume":101}`, 400, "application/json", "", nil, `field \"volume\" must be from 0 to 100`},
		{"PUT", "/api/v1/player/shuffle", `{}`, 400, "application/json", "", nil, `field \"shuffle\" is required`},
		{"PUT", "/api/v1/player/shuffle", `{"shuffle":"yes"}`, 400, "application/json", "", nil, `field \"shuffle\" must be true or false`},
		{"PUT", "/api/v1/player/repeat", `{"repeat":"twice"}`, 400, "application/json", "", nil, `field \"repeat\" must be`},
		{"PUT", "/api/v1/player/volume", `{"volume":null}`, 400, "application/json", "", nil, `field \"volume\" is required`},
		{"PUT", "/api/v1/matches/x", `{"kind":"pin"}`, 400, "application/json", "", nil, `field \"path\" is required`},
		{"PUT", "/api/v1/matches/x", `{"kind":"none","path":"/a"}`, 400, "application/json", "", nil, `field \"path\" must be absent`},
		{"PUT", "/api/v1/matches/x", `{"kind":"reset"}`, 400, "application/json", "", nil, `DELETE`},
		{"PUT", "/api/v1/matches/x", `{"kind":"love"}`, 400, "application/json", "", nil, `field \"kind\"`},
		{"GET", "/api/v1/tracks?limit=0", "", 400, "application/json", "", nil, `\"limit\"`},
		{"GET", "/api/v1/tracks?limit=1001", "", 400, "application/json", "", nil, `\"limit\"`},
		{"GET", "/api/v1/tracks?limit=ten", "", 400, "application/json", "", nil, `\"limit\"`},
		{"POST", "/api/v1/queue/entries", `{}`, 400, "application/json", "", nil, `give \"paths\", or \"playlist\"`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/a"],"playlist":"x","index":1}`, 400, "application/json", "", nil, "not both"},
		{"POST", "/api/v1/queue/entries", `{"playlist":"x"}`, 400, "application/json", "", nil, `field \"index\" is required`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/a"],"index":1}`, 400, "application/json", "", nil, `field \"index\" goes with`},
		{"POST", "/api/v1/queue/entries", `{"playlist":"x","index":-1}`, 400, "application/json", "", nil, `field \"index\" must be 0 or more`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/a"],"next":true,"at":0}`, 400, "application/json", "", nil, `\"next\" or \"at\", not both`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/a"],"at":-2}`, 400, "application/json", "", nil, `field \"at\" must be 0 or more`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/a",""]}`, 400, "application/json", "", nil, `field \"paths[1]\" is empty`},
		{"POST", "/api/v1/queue/entries", `{"paths":"/a"}`, 400, "application/json", "", nil, `field \"paths\" must be an array`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/a"],"next":"yes"}`, 400, "application/json", "", nil, `field \"next\" must be true or false`},
		{"POST", "/api/v1/queue/entries", `{"paths":["/a"],"after":3}`, 400, "application/json", "", nil, `unknown field \"after\"`},
		{"DELETE", "/api/v1/queue/entries/-1", "", 400, "application/json", "", nil, `index in the path`},
		{"DELETE", "/api/v1/queue/entries/two", "", 400, "application/json", "", nil, `not \"two\"`},
		{"DELETE", "/api/v1/queue/entries/1", "nope", 400, "application/json", "", nil, "invalid JSON"},
		{"POST", "/api/v1/queue/move", `{"to":1}`, 400, "application/json", "", nil, `field \"from\" is required`},
		{"POST", "/api/v1/queue/move", `{"from":1}`, 400, "application/json", "", nil, `field \"to\" is required`},
		{"POST", "/api/v1/queue/move", `{"from":-1,"to":0}`, 400, "application/json", "", nil, `field \"from\" must be 0 or more`},
		{"POST", "/api/v1/queue/move", `{"from":0,"to":-1}`, 400, "application/json", "", nil, `field \"to\" must be 0 or more`},
		{"POST", "/api/v1/queue/move", `{"from":0.5,"to":1}`, 400, "application/json", "", nil, `field \"from\" must be a number`},

		// unknown routes and methods
		{"GET", "/api/v1/nope", "", 404, "application/json", "", nil, `"code":"not_found"`},
		{"GET", "/", "", 404, "application/json", "", nil, `"code":"not_found"`},
		{"GET", "/api/v1/playlists/p1/m3u/x", "", 404, "application/json", "", nil, `"code":"not_found"`},
		{"DELETE", "/api/v1/status", "", 405, "application/json", "", nil, `"code":"method_not_allowed"`},
		{"GET", "/api/v1/player/play", "", 405, "application/json", "", nil, `use POST`},
		{"POST", "/api/v1/queue", "{}", 405, "application/json", "", nil, `GET, HEAD, PUT`},
		{"GET", "/api/v1/queue/entries", "", 405, "application/json", "", nil, `use POST`},
		{"POST", "/api/v1/queue/entries/1", "{}", 405, "application/json", "", nil, `use DELETE`},
		{"PUT", "/api/v1/queue/move", "{}", 405, "application/json", "", nil, `use POST`},
		{"DELETE", "/api/v1/queue/entries", "", 405, "application/json", "", nil, `use POST`},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" "+c.body, func(t *testing.T) {
			before := len(f.Calls())
			resp, body := ts.req(t, c.method, c.path, c.body)
			if resp.StatusCode != c.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.code, body)
			}
			if got := resp.Header.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type %q, want %q", got, c.ctype)
			}
			if c.contains != "" && !strings.Contains(string(body), c.contains) {
				t.Errorf("body %s does not contain %s", body, c.contains)
			}
			if resp.StatusCode == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if resp.StatusCode >= 400 && errorCode(body) == "" {
				t.Errorf("error body is not {\"error\":{\"code\":…}}: %s", body)
			}
			calls := f.Calls()[before:]
			switch {
			case c.call == "" && len(calls) > 0:
				t.Errorf("backend called: %v", calls)
			case c.call != "" && (len(calls) == 0 || calls[len(calls)-1] != c.call):
				t.Errorf("backend calls %v, want %s", calls, c.call)
			case c.arg != nil && !reflect.DeepEqual(f.lastArg(), c.arg):
				t.Errorf("%s(%#v), want %#v", c.call, f.lastArg(), c.arg)
			}
		})
	}
}

// TestEveryRouteServed sends a valid request to every route in the table
// and checks none falls through to 404/405.
func TestEveryRouteServed(t *testing.T) {
	ts := start(t, &fakeBackend{}, Options{})
	bodies := map[string]string{
		"/player/play": `{"paths":["/a"]}`, "/queue": `{"paths":["/a"]}`, "/player/seek": `{"position_ms":1}`,
		"/player/volume": `{"volume":5}`, "/matches/{spotify_id}": `{"kind":"none"}`,
		"/player/shuffle": `{"shuffle":false}`, "/player/repeat": `{"repeat":"all"}`,
		"/queue/entries": `{"paths":["/a"]}`, "/queue/move": `{"from":0,"to":1}`,
	}
	for _, rt := range routeTable {
		if rt.Path == "/events" {
			continue // streams; see TestEvents
		}
		path := strings.NewReplacer("{id}", "p1", "{spotify_id}", "t1", "{index}", "0").Replace(rt.Path)
		body := ""
		if rt.Method == "POST" || rt.Method == "PUT" {
			body = bodies[rt.Path]
		}
		if rt.Method == "DELETE" {
			body = ""
		}
		resp, b := ts.req(t, rt.Method, Prefix+path, body)
		if resp.StatusCode >= 300 {
			t.Errorf("%s %s: %d %s", rt.Method, path, resp.StatusCode, b)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "frame-ancestors 'none'"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s %s: %s %q", rt.Method, path, k, got)
			}
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s %s sends Access-Control-Allow-Origin", rt.Method, path)
		}
	}
}

func TestBackendErrors(t *testing.T) {
	var logs syncBuffer
	var errFor error
	f := &fakeBackend{ErrFunc: func(string) error { return errFor }}
	ts := start(t, f, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	cases := []struct {
		err  error
		code int
		name string
	}{
		{fmt.Errorf("playlist %q: %w", "x", cache.ErrNotFound), 404, "not_found"},
		{fmt.Errorf("%w: no queue entry 9 (the queue has 3)", ErrNotFound), 404, "not_found"},
		{fmt.Errorf("%w: already syncing", ErrBusy), 409, "busy"},
		{ErrNotLinked, 409, "not_linked"},
		{ErrNoTrack, 409, "nothing_to_play"},
		{fmt.Errorf("%w: no such file /x", ErrBadRequest), 400, "bad_request"},
		{errors.New("database is locked at /secret/path"), 500, "internal"},
	}
	for _, c := range cases {
		errFor = c.err
		logs.Reset()
		resp, body := ts.req(t, "POST", "/api/v1/player/next", "")
		if resp.StatusCode != c.code || errorCode(body) != c.name {
			t.Errorf("%v: %d %s, want %d %s", c.err, resp.StatusCode, body, c.code, c.name)
		}
		if c.code == 500 {
			if strings.Contains(string(body), "secret") {
				t.Errorf("500 leaks the error: %s", body)
			}
			if n := strings.Count(logs.String(), "secret"); n != 1 {
				t.Errorf("500 logged %d times: %s", n, logs.String())
			}
		} else if errorMessage(body) != c.err.Error() {
			t.Errorf("message %s does not say %q", body, c.err)
		}
	}
}

func TestDebugLogHasNoTokenNorBody(t *testing.T) {
	var logs syncBuffer
	const token = "s3cret-token-value"
	ts := start(t, &fakeBackend{}, Options{Token: token, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ts.req(t, "POST", "/api/v1/player/play", `{"paths":["/private/song.flac"]}`, "Authorization: Bearer "+token)
	ts.req(t, "GET", "/api/v1/tracks?q=private+search", "", "X-API-Key: "+token)
	ts.req(t, "GET", "/api/v1/status", "", "X-API-Key: wrong-"+token)
	out := logs.String()
	for _, secret := range []string{token, "/private/song.flac", "private search", "private+search"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	if strings.Count(out, "msg=request") != 3 || !strings.Contains(out, "status=401") {
		t.Errorf("want three request lines, one 401:\n%s", out)
	}
}

func TestM3U(t *testing.T) {
	items := []cache.PlaylistItem{
		{Track: &cache.SpotifyTrack{Name: "T\n1", Artists: []cache.Artist{{Name: "A"}}, DurationMs: 1499}, LocalPath: "/music/x/1.flac"},
		{Track: &cache.SpotifyTrack{Name: "No copy"}},
		{LocalPath: "/unavailable.mp3"},
		{Track: &cache.SpotifyTrack{Name: "T2", DurationMs: 1500}, LocalPath: "/music/y/2.mp3"},
	}
	var b bytes.Buffer
	n, err := WriteM3U(&b, items, "/music")
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	want := "#EXTM3U\n#EXTINF:1,A - T 1\nx/1.flac\n#EXTINF:2, - T2\ny/2.mp3\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "api.sock")
	f := &fakeBackend{}
	ts := start(t, f, Options{Socket: sock, Token: "tok"})
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	req, _ := http.NewRequest("POST", "http://localhost/api/v1/player/pause", nil)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("POST on the socket without token: %d, want 204", resp.StatusCode)
	}
	// The TCP listener still wants the token.
	if resp, _ := ts.req(t, "POST", "/api/v1/player/pause", ""); resp.StatusCode != 401 {
		t.Errorf("POST on TCP without token: %d, want 401", resp.StatusCode)
	}
	// A second daemon on the same socket is refused; after a stop, the
	// socket file is gone or reusable.
	s2, _ := New(f, Options{Listen: "-", Socket: sock})
	if err := s2.Listen(); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("second listener on the socket: %v", err)
	}
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	s3, _ := New(f, Options{Listen: "-", Socket: sock})
	if err := s3.Listen(); err != nil {
		t.Errorf("socket after stop: %v", err)
	}
	for _, ln := range s3.listeners {
		ln.Close()
	}
}

func TestListen(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8273", ":8273", "[::]:8273", "192.168.1.20:8273", "tapedeck.lan:8273"} {
		_, err := New(&fakeBackend{}, Options{Listen: addr})
		if err == nil || !strings.Contains(err.Error(), "http.token") || !strings.Contains(err.Error(), "http.listen") {
			t.Errorf("%s without token: %v, want an error naming http.listen and http.token", addr, err)
		}
		if _, err := New(&fakeBackend{}, Options{Listen: addr, Token: "t"}); err != nil {
			t.Errorf("%s with token: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:8273", "[::1]:8273", "localhost:8273", "127.0.0.2:0"} {
		if _, err := New(&fakeBackend{}, Options{Listen: addr}); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	if _, err := New(&fakeBackend{}, Options{Listen: "8273"}); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Errorf("bad address: %v", err)
	}
	ts := start(t, &fakeBackend{}, Options{})
	s2, _ := New(&fakeBackend{}, Options{Listen: ts.Addr()})
	err := s2.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already in use: is another tapedeck running?") || !strings.Contains(err.Error(), ts.Addr()) {
		t.Errorf("second Run on %s: %v", ts.Addr(), err)
	}
}

func TestShutdownEndsStreams(t *testing.T) {
	ts := start(t, &fakeBackend{}, Options{})
	resp, err := http.Get(ts.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	t0 := time.Now()
	if err := ts.stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("shutdown took %v with a stream open", d)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Errorf("stream did not end cleanly: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
