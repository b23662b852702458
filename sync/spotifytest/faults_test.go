package spotifytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

const itemsRoute = "GET /v1/playlists/{id}/items"

func faultServer(t *testing.T) (*spotifytest.Server, string, string) {
	srv := newServer(t)
	srv.AddPlaylist(spotifytest.Playlist{ID: "p", Name: "P", Items: tracks(3)})
	token, _ := srv.IssueTokens()
	return srv, srv.APIURL() + "/playlists/p/items", token
}

func TestStatusFaults(t *testing.T) {
	cases := []struct {
		f       spotifytest.Fault
		status  int
		message string
	}{
		{spotifytest.Fault{Status: 429, RetryAfter: 7}, 429, "API rate limit exceeded"},
		{spotifytest.Fault{Status: 500}, 500, "Server error"},
		{spotifytest.Fault{Status: 502}, 502, "Bad gateway"},
		{spotifytest.Fault{Status: 503, Message: "down for maintenance"}, 503, "down for maintenance"},
	}
	for _, c := range cases {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			srv, u, token := faultServer(t)
			srv.Fault(itemsRoute, c.f)
			status, body, hdr := get(t, u, token)
			wantAPIError(t, status, body, c.status, c.message)
			if want := map[bool]string{true: "7", false: ""}[c.f.RetryAfter > 0]; hdr.Get("Retry-After") != want {
				t.Errorf("Retry-After %q", hdr.Get("Retry-After"))
			}
			// Times 0: the fault stays until cleared; other routes are unaffected.
			if status, _, _ := get(t, u, token); status != c.status {
				t.Errorf("second request: %d", status)
			}
			getObj(t, srv.APIURL()+"/me", token)
			srv.ClearFaults()
			getObj(t, u, token)
		})
	}
}

func TestFaultTimesThenNextFault(t *testing.T) {
	srv, u, token := faultServer(t)
	srv.Fault(itemsRoute, spotifytest.Fault{Status: 429, RetryAfter: 1, Times: 2})
	srv.Fault(itemsRoute, spotifytest.Fault{Status: 502, Times: 1})
	var got []int
	for range 4 {
		status, _, _ := get(t, u, token)
		got = append(got, status)
	}
	if want := []int{429, 429, 502, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if srv.Requests(itemsRoute) != 4 {
		t.Errorf("requests %d", srv.Requests(itemsRoute))
	}
}

func TestFaultOnAllRoutes(t *testing.T) {
	srv, u, token := faultServer(t)
	srv.Fault(spotifytest.AllRoutes, spotifytest.Fault{Status: 503})
	for _, target := range []string{u, srv.APIURL() + "/me", srv.AccountsURL() + "/authorize"} {
		if status, _, _ := get(t, target, token); status != 503 {
			t.Errorf("%s: %d", target, status)
		}
	}
	srv.Fault(itemsRoute, spotifytest.Fault{Status: 429, Times: 1})
	if status, _, _ := get(t, u, token); status != 429 {
		t.Errorf("route fault should come before the * one: %d", status)
	}
}

func TestPlainTextFault(t *testing.T) {
	srv, u, token := faultServer(t)
	srv.Fault(itemsRoute, spotifytest.Fault{Status: 429, PlainText: true, RetryAfter: 3})
	status, body, hdr := get(t, u, token)
	if status != 429 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") || hdr.Get("Retry-After") != "3" ||
		json.Valid(body) {
		t.Errorf("%d %q %s", status, hdr.Get("Content-Type"), body)
	}
	srv.ClearFaults()
	srv.Fault(itemsRoute, spotifytest.Fault{PlainText: true})
	if status, _, _ := get(t, u, token); status != 503 {
		t.Errorf("plain text without status: %d", status)
	}
}

func TestMalformedFault(t *testing.T) {
	srv, u, token := faultServer(t)
	srv.Fault(itemsRoute, spotifytest.Fault{Malformed: true, Times: 1})
	status, body, hdr := get(t, u, token)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || len(body) == 0 || json.Valid(body) {
		t.Errorf("%d %s", status, body)
	}
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		t.Error("truncated JSON decoded")
	}
	getObj(t, u, token)
}

func TestResetFault(t *testing.T) {
	srv, u, token := faultServer(t)
	srv.Fault(itemsRoute, spotifytest.Fault{Reset: true, Times: 1})
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want a connection error", resp.StatusCode)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Errorf("reset error: %v", err)
	}
	getObj(t, u, token)
}

func TestHangUntilClientGivesUp(t *testing.T) {
	srv, u, token := faultServer(t)
	srv.Fault(itemsRoute, spotifytest.Fault{Hang: spotifytest.HangForever})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want a timeout", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("error %v after %v", err, time.Since(start))
	}
}

func TestHangReleasedByClose(t *testing.T) {
	srv := spotifytest.New()
	srv.Fault(spotifytest.AllRoutes, spotifytest.Fault{Hang: spotifytest.HangForever})
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.APIURL() + "/me")
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for srv.TotalRequests() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	if err := <-errc; err == nil {
		t.Error("hanging request got an answer")
	}
	srv.Close() // a second Close is harmless
}

func TestHangForAWhileThenAnswer(t *testing.T) {
	srv, u, token := faultServer(t)
	srv.Fault(itemsRoute, spotifytest.Fault{Hang: 150 * time.Millisecond, Status: 500, Times: 1})
	start := time.Now()
	status, _, _ := get(t, u, token)
	if status != 500 || time.Since(start) < 150*time.Millisecond {
		t.Errorf("%d after %v", status, time.Since(start))
	}
	srv.Fault(itemsRoute, spotifytest.Fault{Hang: 50 * time.Millisecond, Times: 1})
	getObj(t, u, token)
}

func TestFaultOnUnknownRoutePanics(t *testing.T) {
	srv := newServer(t)
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	srv.Fault("GET /v1/nothing", spotifytest.Fault{Status: 500})
}

func TestRequestCounts(t *testing.T) {
	srv, u, token := faultServer(t)
	for range 3 {
		get(t, u, token)
	}
	get(t, srv.APIURL()+"/me", "")
	get(t, srv.APIURL()+"/nothing", "")
	if srv.Requests(itemsRoute) != 3 || srv.Requests("GET /v1/me") != 1 || srv.TotalRequests() != 5 {
		t.Errorf("counts: items %d, me %d, total %d", srv.Requests(itemsRoute), srv.Requests("GET /v1/me"), srv.TotalRequests())
	}
	srv.ResetCounts()
	if srv.Requests(itemsRoute) != 0 || srv.TotalRequests() != 0 {
		t.Error("counts not reset")
	}
	if len(srv.Routes()) < 8 {
		t.Errorf("routes %v", srv.Routes())
	}
}
