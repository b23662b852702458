package spotifytest_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// playing is playerServer with mix playing on the laptop, 10 s into a.
func playing(t *testing.T) (*spotifytest.Server, *clock, string) {
	t.Helper()
	srv, clk, token := playerServer(t)
	if err := srv.SetPlaying(spotifytest.Playback{PlaylistID: "mix", Position: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	return srv, clk, token
}

func outage(t *testing.T, srv *spotifytest.Server, o spotifytest.Outage) {
	t.Helper()
	if err := srv.Outage(o); err != nil {
		t.Fatal(err)
	}
}

func endOutage(t *testing.T, srv *spotifytest.Server) {
	t.Helper()
	if err := srv.EndOutage(); err != nil {
		t.Fatal(err)
	}
}

func TestOutageRefuse(t *testing.T) {
	srv, clk, token := playing(t)
	// A client with a kept-alive connection, as tapedeck's would have.
	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	do := func(path string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", srv.APIURL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	if _, err := do("/me/player"); err != nil {
		t.Fatal(err)
	}

	clk.Add(5 * time.Second)
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.OutageRefuse})
	for _, path := range []string{"/me/player", "/me"} {
		if _, err := do(path); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s during refuse: %v", path, err)
		}
	}
	if _, err := http.Post(srv.AccountsURL()+"/api/token", "application/x-www-form-urlencoded", nil); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("accounts during refuse: %v", err)
	}
	clk.Add(time.Minute) // audio stopped when Spotify went away
	wantState(t, srv, 0, 15*time.Second, false)
	if st := srv.PlayerState(); st.Outage != spotifytest.OutageRefuse {
		t.Errorf("outage %v", st.Outage)
	}

	endOutage(t, srv)
	resp, err := do("/me/player")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after refuse: %v", err)
	}
	wantState(t, srv, 0, 15*time.Second, false)

	// With Resume, playback carries on when the outage ends.
	ok(t, srv, "PUT", "/me/player/play", token, nil)
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.OutageRefuse, Resume: true})
	clk.Add(time.Minute)
	endOutage(t, srv)
	clk.Add(time.Second)
	wantState(t, srv, 0, 16*time.Second, true)
}

func TestOutageHang(t *testing.T) {
	srv, clk, token := playing(t)
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.OutageHang})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.APIURL()+"/me/player", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			resp.Body.Close()
		}
		t.Fatalf("during hang: %v", err)
	}

	// A request still waiting when the outage ends is answered.
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.APIURL()+"/me/player/devices", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	for srv.Requests("GET /v1/me/player/devices") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	clk.Add(time.Minute)
	select {
	case status := <-got:
		t.Fatalf("answered %d during the hang", status)
	case <-time.After(50 * time.Millisecond):
	}
	endOutage(t, srv)
	if status := <-got; status != 200 {
		t.Errorf("released request: %d", status)
	}
	wantState(t, srv, 0, 10*time.Second, false)
}

func TestOutage503(t *testing.T) {
	srv, clk, token := playing(t)
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.Outage503, Resume: true})
	for _, u := range []string{srv.APIURL() + "/me/player", srv.APIURL() + "/me", srv.APIURL() + "/me/player/devices", srv.AccountsURL() + "/authorize"} {
		status, body, _ := get(t, u, token)
		wantAPIError(t, status, body, 503, "Service unavailable")
	}
	status, body := call(t, "PUT", srv.APIURL()+"/me/player/play", token, nil)
	wantAPIError(t, status, body, 503, "Service unavailable")
	clk.Add(time.Minute)
	wantState(t, srv, 0, 10*time.Second, false)
	endOutage(t, srv)
	clk.Add(2 * time.Second)
	wantState(t, srv, 0, 12*time.Second, true) // Resume
}

func TestOutageFreeze(t *testing.T) {
	srv, clk, token := playing(t)
	clk.Add(time.Second)
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.OutageFreeze})
	for range 3 {
		clk.Add(time.Minute) // longer than a is left: still no track change
		m := getObj(t, srv.APIURL()+"/me/player", token)
		if m["is_playing"] != true || m["progress_ms"] != 11000.0 || obj(t, m["item"])["id"] != "a" {
			t.Fatalf("frozen state: playing %v at %v", m["is_playing"], m["progress_ms"])
		}
	}
	endOutage(t, srv)
	clk.Add(4 * time.Second)
	wantState(t, srv, 0, 15*time.Second, true)
}

func TestOutageDeviceGone(t *testing.T) {
	srv, clk, token := playing(t)
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.OutageDeviceGone})
	if status, body, _ := get(t, srv.APIURL()+"/me/player", token); status != http.StatusNoContent || len(body) != 0 {
		t.Errorf("/me/player without the device: %d %s", status, body)
	}
	devs := list(t, getObj(t, srv.APIURL()+"/me/player/devices", token)["devices"])
	if len(devs) != 1 || obj(t, devs[0])["id"] != "speaker" {
		t.Errorf("devices %v", devs)
	}
	status, body := call(t, "PUT", srv.APIURL()+"/me/player/play", token, nil)
	wantAPIError(t, status, body, 404, "No active device found")
	clk.Add(time.Minute)

	endOutage(t, srv)
	st := srv.PlayerState()
	if st.DeviceID != "laptop" || st.IsPlaying || st.Progress != 10*time.Second || st.ItemURI != "spotify:track:a" {
		t.Errorf("after the device came back: %+v", st)
	}
	ok(t, srv, "PUT", "/me/player/play", token, nil)
}

func TestOutageSwitchesKind(t *testing.T) {
	srv, _, token := playing(t)
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.OutageRefuse})
	outage(t, srv, spotifytest.Outage{Kind: spotifytest.Outage503}) // listens again, then 503
	status, body, _ := get(t, srv.APIURL()+"/me", token)
	wantAPIError(t, status, body, 503, "Service unavailable")
	endOutage(t, srv)
	endOutage(t, srv) // no outage: harmless
	getObj(t, srv.APIURL()+"/me", token)
	if err := srv.Outage(spotifytest.Outage{}); err == nil {
		t.Error("outage without a kind accepted")
	}
}

// TestOutageCloseLeavesNoGoroutines closes the server in the middle of a
// hang, after a refuse, and checks that nothing is left running.
func TestOutageCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := spotifytest.New()
	token, _ := srv.IssueTokens()
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	if err := srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageHang}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.APIURL()+"/me/player", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for srv.TotalRequests() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	if err := <-errc; err == nil {
		t.Error("hanging request got an answer")
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
