package api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// validBody is a body each change route accepts, so a refusal can only
// come from the security checks.
var validBody = map[string]string{
	"/player/play": `{"paths":["/a.flac"]}`, "/queue": `{"paths":["/a.flac"]}`, "/player/seek": `{"position_ms":1}`,
	"/player/volume": `{"volume":5}`, "/matches/{spotify_id}": `{"kind":"none"}`,
	"/player/shuffle": `{"shuffle":true}`, "/player/repeat": `{"repeat":"all"}`,
	"/queue/entries": `{"paths":["/a.flac"],"next":true}`, "/queue/move": `{"from":0,"to":1}`,
}

func routePath(rt route) string {
	return Prefix + strings.NewReplacer("{id}", "p1", "{spotify_id}", "t1", "{index}", "0").Replace(rt.Path)
}

func isChange(rt route) bool { return rt.Method != "GET" }

// TestSecurityRefusals sends every refused kind of request to every route
// and checks the status, the error body, and that the backend was not
// called at all.
func TestSecurityRefusals(t *testing.T) {
	const token = "correct-horse-battery-staple"
	open := &fakeBackend{}
	tsOpen := start(t, open, Options{})
	locked := &fakeBackend{}
	tsLocked := start(t, locked, Options{Token: token})
	big := strings.Repeat(" ", 2<<20) + "{}"

	cases := []struct {
		name    string
		locked  bool // against the server with a token
		changes bool // only routes that change something
		body    string
		headers []string
		code    int
		chunked bool
	}{
		{name: "Host evil.example", headers: []string{"Host: evil.example"}, code: 403},
		{name: "Host evil.example:port", headers: []string{"Host: evil.example:8273"}, code: 403},
		{name: "Host localhost.evil.example", headers: []string{"Host: localhost.evil.example"}, code: 403},
		{name: "Host evil with token", locked: true, headers: []string{"Host: evil.example", "X-API-Key: " + token}, code: 403},
		{name: "Origin evil", headers: []string{"Origin: https://evil.example"}, code: 403},
		{name: "Origin null", headers: []string{"Origin: null"}, code: 403},
		{name: "Origin other port", headers: []string{"Origin: http://127.0.0.1:1"}, code: 403},
		{name: "Sec-Fetch-Site cross-site", headers: []string{"Sec-Fetch-Site: cross-site"}, code: 403},
		{name: "Sec-Fetch-Site same-site", headers: []string{"Sec-Fetch-Site: same-site"}, code: 403},
		{name: "Origin evil with token", locked: true, headers: []string{"Origin: https://evil.example", "X-API-Key: " + token}, code: 403},
		{name: "no token", locked: true, code: 401},
		{name: "wrong token", locked: true, headers: []string{"Authorization: Bearer " + token + "x"}, code: 401},
		{name: "wrong X-API-Key", locked: true, headers: []string{"X-API-Key: nope"}, code: 401},
		{name: "token as Basic", locked: true, headers: []string{"Authorization: Basic " + token}, code: 401},
		{name: "same-origin is no token", locked: true, headers: []string{"Sec-Fetch-Site: same-origin"}, code: 401},
		{name: "text/plain", changes: true, headers: []string{"Content-Type: text/plain"}, code: 415},
		{name: "form", changes: true, headers: []string{"Content-Type: application/x-www-form-urlencoded"}, code: 415},
		{name: "no content type", changes: true, headers: []string{"Content-Type: -"}, code: 415},
		{name: "text/plain with token", locked: true, changes: true, headers: []string{"Content-Type: text/plain", "X-API-Key: " + token}, code: 415},
		{name: "2 MiB body", changes: true, body: big, code: 413},
		{name: "2 MiB chunked body", changes: true, body: big, chunked: true, code: 413},
	}
	for _, c := range cases {
		ts, f := tsOpen, open
		if c.locked {
			ts, f = tsLocked, locked
		}
		for _, rt := range routeTable {
			if c.changes && !isChange(rt) || c.locked && c.code == 401 && rt.Path == "/healthz" {
				continue
			}
			t.Run(c.name+"/"+rt.Method+" "+rt.Path, func(t *testing.T) {
				before := len(f.Calls())
				body := c.body
				if body == "" && isChange(rt) {
					body = validBody[rt.Path]
				}
				resp, got := sendRaw(t, ts, rt.Method, routePath(rt), body, c.chunked, c.headers)
				if resp.StatusCode != c.code {
					t.Errorf("status %d, want %d: %s", resp.StatusCode, c.code, got)
				}
				if errorCode(got) == "" {
					t.Errorf("not an error body: %.200s", got)
				}
				if c.code == 401 && resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if resp.Header.Get("Access-Control-Allow-Origin") != "" {
					t.Error("Access-Control-Allow-Origin sent")
				}
				if calls := f.Calls()[before:]; len(calls) > 0 {
					t.Errorf("backend called: %v", calls)
				}
			})
		}
	}
}

// sendRaw is ts.req with an optional chunked body (no Content-Length).
func sendRaw(t *testing.T, ts *testServer, method, path, body string, chunked bool, headers []string) (*http.Response, []byte) {
	t.Helper()
	if !chunked {
		return ts.req(t, method, path, body, headers...)
	}
	pr, pw := io.Pipe()
	go func() { io.WriteString(pw, body); pw.Close() }()
	r, _ := http.NewRequest(method, ts.URL+path, pr)
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if r.ContentLength != -1 && r.ContentLength != 0 {
		t.Fatalf("request was not chunked (%d)", r.ContentLength)
	}
	return resp, b
}

// TestSecurityAllowed checks what must pass: loopback names and IP
// literals as Host, configured names, same-origin, both token headers,
// JSON with a charset.
func TestSecurityAllowed(t *testing.T) {
	const token = "tok-123"
	f := &fakeBackend{}
	ts := start(t, f, Options{Token: token, AllowedHosts: []string{"Tapedeck.LAN."}})
	_, port, _ := net.SplitHostPort(ts.Addr())
	auth := "Authorization: Bearer " + token
	cases := []struct {
		name    string
		method  string
		path    string
		headers []string
		code    int
	}{
		{"healthz needs no token", "GET", "/api/v1/healthz", nil, 200},
		{"Bearer", "GET", "/api/v1/status", []string{auth}, 200},
		{"bearer lower case", "GET", "/api/v1/status", []string{"Authorization: bearer " + token}, 200},
		{"X-API-Key", "GET", "/api/v1/status", []string{"X-API-Key: " + token}, 200},
		{"Host localhost", "GET", "/api/v1/status", []string{auth, "Host: localhost:" + port}, 200},
		{"Host LOCALHOST no port", "GET", "/api/v1/status", []string{auth, "Host: LOCALHOST"}, 200},
		{"Host [::1]", "GET", "/api/v1/status", []string{auth, "Host: [::1]:" + port}, 200},
		{"Host LAN IP", "GET", "/api/v1/status", []string{auth, "Host: 192.168.1.20:" + port}, 200},
		{"Host allowed name", "GET", "/api/v1/status", []string{auth, "Host: tapedeck.lan:" + port}, 200},
		{"same origin", "POST", "/api/v1/player/pause", []string{auth, "Origin: http://127.0.0.1:" + port, "Sec-Fetch-Site: same-origin"}, 204},
		{"same origin via allowed name", "POST", "/api/v1/player/pause", []string{auth, "Host: tapedeck.lan:" + port, "Origin: http://tapedeck.lan:" + port}, 204},
		{"Sec-Fetch-Site none", "GET", "/api/v1/status", []string{auth, "Sec-Fetch-Site: none"}, 200},
		{"JSON with charset", "POST", "/api/v1/player/pause", []string{auth, "Content-Type: application/json; charset=utf-8"}, 204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := ts.req(t, c.method, c.path, "", c.headers...)
			if resp.StatusCode != c.code {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, c.code, body)
			}
		})
	}
	// Without a token, loopback reads and changes need nothing more.
	open := start(t, &fakeBackend{}, Options{})
	if resp, b := open.req(t, "GET", "/api/v1/status", ""); resp.StatusCode != 200 {
		t.Errorf("open read: %d %s", resp.StatusCode, b)
	}
	if resp, b := open.req(t, "POST", "/api/v1/player/next", ""); resp.StatusCode != 204 {
		t.Errorf("open change: %d %s", resp.StatusCode, b)
	}
}

// TestSlowHeaders: a client that trickles its headers is cut off after
// ReadHeaderTimeout, however steadily it trickles, and reaches no handler.
func TestSlowHeaders(t *testing.T) {
	f := &fakeBackend{}
	ts := start(t, f, Options{ReadHeaderTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t0 := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, bufio.NewReader(c))
		closed <- time.Since(t0)
	}()
	io.WriteString(c, "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case d := <-closed:
			if d < 150*time.Millisecond || d > 1500*time.Millisecond {
				t.Errorf("closed after %v, want about 200ms", d)
			}
			if calls := f.Calls(); len(calls) > 0 {
				t.Errorf("backend called: %v", calls)
			}
			return
		case <-tick.C:
			io.WriteString(c, "X-Slow: a\r\n") // fails once the server has closed
		case <-deadline:
			t.Fatal("slow client still connected after 3 s")
		}
	}
}

// TestNoCORS: a preflight is never approved, and OPTIONS without an
// Origin is a plain 405.
func TestNoCORS(t *testing.T) {
	f := &fakeBackend{}
	ts := start(t, f, Options{})
	resp, _ := ts.req(t, "OPTIONS", "/api/v1/player/play", "", "Origin: https://evil.example",
		"Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type", "Content-Type: -")
	if resp.StatusCode != 403 {
		t.Errorf("preflight from evil.example: %d, want 403", resp.StatusCode)
	}
	resp, body := ts.req(t, "OPTIONS", "/api/v1/player/play", "", "Content-Type: -")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("OPTIONS: %d Allow %q: %s", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("CORS header %s sent", k)
		}
	}
	if calls := f.Calls(); len(calls) > 0 {
		t.Errorf("backend called: %v", calls)
	}
}

// TestMetricsRoute: /metrics passes the same checks as the API, and its
// handler is reached only when they all pass.
func TestMetricsRoute(t *testing.T) {
	const token = "tok-metrics"
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.WriteString(w, "tapedeck_up 1\n")
	})
	open := start(t, &fakeBackend{}, Options{Metrics: h})
	locked := start(t, &fakeBackend{}, Options{Metrics: h, Token: token})
	without := start(t, &fakeBackend{}, Options{Token: token})
	cases := []struct {
		name    string
		ts      *testServer
		method  string
		headers []string
		code    int
	}{
		{"Host evil.example", open, "GET", []string{"Host: evil.example"}, 403},
		{"Host evil with token", locked, "GET", []string{"Host: evil.example", "X-API-Key: " + token}, 403},
		{"Origin evil", open, "GET", []string{"Origin: https://evil.example"}, 403},
		{"Sec-Fetch-Site cross-site", locked, "GET", []string{"Sec-Fetch-Site: cross-site", "X-API-Key: " + token}, 403},
		{"no token", locked, "GET", nil, 401},
		{"wrong token", locked, "GET", []string{"Authorization: Bearer " + token + "x"}, 401},
		{"wrong X-API-Key", locked, "GET", []string{"X-API-Key: nope"}, 401},
		{"POST", locked, "POST", []string{"X-API-Key: " + token}, 405},
		{"not configured", without, "GET", []string{"X-API-Key: " + token}, 404},
		{"open", open, "GET", nil, 200},
		{"Bearer", locked, "GET", []string{"Authorization: Bearer " + token}, 200},
		{"X-API-Key", locked, "GET", []string{"X-API-Key: " + token}, 200},
		{"HEAD", locked, "HEAD", []string{"X-API-Key: " + token}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := calls.Load()
			resp, body := c.ts.req(t, c.method, "/metrics", "", c.headers...)
			if resp.StatusCode != c.code {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, c.code, body)
			}
			reached := calls.Load() > before
			if reached != (c.code == 200) {
				t.Errorf("handler reached: %v, status %d", reached, c.code)
			}
			if c.code != 200 && errorCode(body) == "" {
				t.Errorf("not an error body: %.200s", body)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("security headers missing")
			}
		})
	}
}
