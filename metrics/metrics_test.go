package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tapedeck/tapedeck/failover"
)

// scrape fetches /metrics over real HTTP and parses it with Prometheus'
// own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	return fams
}

func serve(t *testing.T, m *Metrics) string {
	ts := httptest.NewServer(m.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// value returns the sample of family name whose labels include want
// ("k=v" pairs): a counter's or gauge's value, a histogram's count. ok is
// false when no such series exists.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, mt := range f.GetMetric() {
		if !hasLabels(mt, want) {
			continue
		}
		switch {
		case mt.Counter != nil:
			return mt.Counter.GetValue(), true
		case mt.Gauge != nil:
			return mt.Gauge.GetValue(), true
		case mt.Histogram != nil:
			return float64(mt.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabels(mt *dto.Metric, want []string) bool {
	for _, kv := range want {
		k, v, _ := strings.Cut(kv, "=")
		found := false
		for _, l := range mt.GetLabel() {
			if l.GetName() == k && l.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func histSum(fams map[string]*dto.MetricFamily, name string) float64 {
	return fams[name].GetMetric()[0].GetHistogram().GetSampleSum()
}

func TestExpositionParses(t *testing.T) {
	fams := scrape(t, serve(t, New()))
	for _, name := range []string{
		"tapedeck_playback_state", "tapedeck_playback_source", "tapedeck_spotify_connectivity",
		"tapedeck_outage_seconds_total", "tapedeck_outage_active", "tapedeck_failover_latency_seconds",
		"tapedeck_library_tracks", "tapedeck_scan_duration_seconds", "tapedeck_scans_total",
		"tapedeck_sync_duration_seconds", "tapedeck_syncs_total",
		"go_goroutines", "process_start_time_seconds",
	} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	for name := range fams {
		if !strings.HasPrefix(name, "tapedeck_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") &&
			name != "promhttp_metric_handler_errors_total" {
			t.Errorf("unexpected family %s", name)
		}
	}
	if v, _ := value(fams, "tapedeck_playback_source", "source=none"); v != 1 {
		t.Errorf("initial source none = %v, want 1", v)
	}
	if v, ok := value(fams, "tapedeck_spotify_connectivity", "state=online"); !ok || v != 0 {
		t.Errorf("online series at start: %v %v, want present and 0", v, ok)
	}
}

// TestMethodsMoveMetrics calls each method and reads the effect back
// through the handler.
func TestMethodsMoveMetrics(t *testing.T) {
	m := New()
	url := serve(t, m)

	m.SetPlayback("playing", "local")
	m.SetConnectivity("offline")
	m.OutageStarted("connection refused")
	m.OutageStarted("HTTP 503 Service Unavailable")
	m.ObserveFailover(1200 * time.Millisecond)
	m.SetLibraryTracks(4321)
	m.ObserveScan(3*time.Second, nil)
	m.ObserveScan(time.Second, errors.New("disk gone"))
	m.ObserveSync(2*time.Second, nil)
	m.ObserveSync(time.Second, fmt.Errorf("sync: %w", context.Canceled))
	m.SpotifyRequest("GET", "/v1/me/player", 200)
	m.SpotifyRequest("GET", "/v1/me/player", 0)
	m.SetCoverage([]Coverage{{ID: "p1", Name: "Road trip", Playable: 3, Items: 4}, {ID: "p2", Name: "Empty", Items: 0}})

	fams := scrape(t, url)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tapedeck_playback_state", []string{"state=playing"}, 1},
		{"tapedeck_playback_state", []string{"state=stopped"}, 0},
		{"tapedeck_playback_source", []string{"source=local"}, 1},
		{"tapedeck_playback_source", []string{"source=none"}, 0},
		{"tapedeck_spotify_connectivity", []string{"state=offline"}, 1},
		{"tapedeck_spotify_connectivity", []string{"state=unknown"}, 0},
		{"tapedeck_outages_total", []string{"cause=connection_refused"}, 1},
		{"tapedeck_outages_total", []string{"cause=http_5xx"}, 1},
		{"tapedeck_outage_active", nil, 1},
		{"tapedeck_failover_latency_seconds", nil, 1},
		{"tapedeck_library_tracks", nil, 4321},
		{"tapedeck_scan_duration_seconds", nil, 2},
		{"tapedeck_scans_total", []string{"result=ok"}, 1},
		{"tapedeck_scans_total", []string{"result=error"}, 1},
		{"tapedeck_sync_duration_seconds", nil, 2},
		{"tapedeck_syncs_total", []string{"result=ok"}, 1},
		{"tapedeck_syncs_total", []string{"result=canceled"}, 1},
		{"tapedeck_spotify_requests_total", []string{"method=GET", "endpoint=/v1/me/player", "status=200"}, 1},
		{"tapedeck_spotify_requests_total", []string{"endpoint=/v1/me/player", "status=error"}, 1},
		{"tapedeck_playlist_offline_coverage_ratio", []string{"playlist=p1", "name=Road trip"}, 0.75},
		{"tapedeck_playlist_offline_coverage_ratio", []string{"playlist=p2"}, 0},
	}
	for _, c := range checks {
		if got, ok := value(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if s := histSum(fams, "tapedeck_failover_latency_seconds"); s != 1.2 {
		t.Errorf("failover sum %v, want 1.2", s)
	}
	if s := histSum(fams, "tapedeck_scan_duration_seconds"); s != 4 {
		t.Errorf("scan sum %v, want 4", s)
	}

	// The next events move the same series on.
	m.SetPlayback("paused", "spotify")
	m.SetConnectivity("online")
	m.OutageEnded(90 * time.Second)
	m.OutageStarted("stalled: playing but progress not advancing")
	m.OutageEnded(30 * time.Second)
	m.SetLibraryTracks(4320)
	m.SetCoverage([]Coverage{{ID: "p1", Name: "Road trip (renamed)", Playable: 4, Items: 4}})

	fams = scrape(t, url)
	checks = []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tapedeck_playback_state", []string{"state=playing"}, 0},
		{"tapedeck_playback_state", []string{"state=paused"}, 1},
		{"tapedeck_playback_source", []string{"source=local"}, 0},
		{"tapedeck_playback_source", []string{"source=spotify"}, 1},
		{"tapedeck_spotify_connectivity", []string{"state=offline"}, 0},
		{"tapedeck_spotify_connectivity", []string{"state=online"}, 1},
		{"tapedeck_outage_seconds_total", nil, 120},
		{"tapedeck_outage_active", nil, 0},
		{"tapedeck_outages_total", []string{"cause=stalled"}, 1},
		{"tapedeck_library_tracks", nil, 4320},
		{"tapedeck_playlist_offline_coverage_ratio", []string{"playlist=p1", "name=Road trip (renamed)"}, 1},
	}
	for _, c := range checks {
		if got, ok := value(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if n := len(fams["tapedeck_playlist_offline_coverage_ratio"].GetMetric()); n != 1 {
		t.Errorf("%d coverage series after replacing the list, want 1 (no stale names, no deleted playlist)", n)
	}
	for _, name := range []string{"tapedeck_playback_state", "tapedeck_playback_source", "tapedeck_spotify_connectivity"} {
		sum := 0.0
		for _, mt := range fams[name].GetMetric() {
			sum += mt.GetGauge().GetValue()
		}
		if sum != 1 {
			t.Errorf("%s: %v series at 1, want exactly one", name, sum)
		}
	}
}

// TestTransportCounts sends real requests through the wrapper to a server
// answering like the Web API, with ids of every kind in the paths.
func TestTransportCounts(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/missing"):
			w.WriteHeader(404)
		case strings.HasPrefix(r.URL.Path, "/v1/me/player"):
			w.WriteHeader(503)
		default:
			io.WriteString(w, "{}")
		}
	}))
	defer api.Close()
	m := New()
	client := &http.Client{Transport: m.Transport(nil)}
	for i := range 50 {
		get(t, client, fmt.Sprintf("%s/v1/playlists/%022d/items?offset=%d", api.URL, i, i*100))
		get(t, client, fmt.Sprintf("%s/v1/users/user.name-%d/playlists", api.URL, i))
	}
	get(t, client, api.URL+"/v1/me/player")
	get(t, client, api.URL+"/v1/tracks/missing")
	put, _ := http.NewRequest("PUT", api.URL+"/v1/me/player/play?device_id=abc", nil)
	if resp, err := client.Do(put); err == nil {
		resp.Body.Close()
	}

	// No answer at all: a port nobody listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if _, err := client.Get(dead + "/v1/me/player"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("want connection refused, got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", api.URL+"/v1/me", nil)
	client.Do(req)

	fams := scrape(t, serve(t, m))
	checks := []struct {
		labels []string
		want   float64
	}{
		{[]string{"method=GET", "endpoint=/v1/playlists/{id}/items", "status=200"}, 50},
		{[]string{"method=GET", "endpoint=/v1/users/{id}/playlists", "status=200"}, 50},
		{[]string{"method=GET", "endpoint=/v1/me/player", "status=503"}, 1},
		{[]string{"method=GET", "endpoint=/v1/tracks/{id}", "status=404"}, 1},
		{[]string{"method=PUT", "endpoint=/v1/me/player/play", "status=503"}, 1},
		{[]string{"method=GET", "endpoint=/v1/me/player", "status=error"}, 1},
		{[]string{"method=GET", "endpoint=/v1/me", "status=canceled"}, 1},
	}
	for _, c := range checks {
		if got, ok := value(fams, "tapedeck_spotify_requests_total", c.labels...); !ok || got != c.want {
			t.Errorf("requests%v = %v (present %v), want %v", c.labels, got, ok, c.want)
		}
	}
	if n := len(fams["tapedeck_spotify_requests_total"].GetMetric()); n != len(checks) {
		t.Errorf("%d request series for 100 distinct ids and 5 other calls, want %d", n, len(checks))
	}
}

func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestEndpoint(t *testing.T) {
	cases := map[string]string{
		"/v1/me":                "/v1/me",
		"/v1/me/player/devices": "/v1/me/player/devices",
		"/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/items": "/v1/playlists/{id}/items",
		"/v1/users/Ünïcode user/playlists":           "/v1/users/{id}/playlists",
		"/proxy/prefix/v1/me/tracks":                 "/{id}/{id}/v1/me/tracks",
		"/v1/a/b/c/d/e/f/g/h":                        "/v1/{id}/{id}/{id}/{id}/{id}/...",
		"":                                           "/",
		"/":                                          "/",
	}
	for in, want := range cases {
		if got := Endpoint(in); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCauseKind feeds the monitor's own cause texts through, so a new
// wording in failover that falls to "other" shows up here.
func TestCauseKind(t *testing.T) {
	cause := func(err error, status int) string { c, _ := failover.Classify(err, status); return c }
	cases := []struct{ cause, want string }{
		{cause(nil, 503), "http_5xx"},
		{cause(syscall.ECONNREFUSED, 0), "connection_refused"},
		{cause(syscall.ECONNRESET, 0), "connection_reset"},
		{cause(syscall.ENETUNREACH, 0), "network_unreachable"},
		{cause(&net.DNSError{Name: "api.spotify.com", IsNotFound: true}, 0), "dns"},
		{cause(io.ErrUnexpectedEOF, 0), "connection_closed"},
		{cause(context.DeadlineExceeded, 0), "timeout"},
		{cause(errors.New("weird"), 0), "no_answer"},
		{failover.CauseDeviceGone, "device_gone"},
		{failover.CauseStalled, "stalled"},
		{failover.CauseLagging, "lagging"},
		{failover.CauseLoginRevoked, "login_revoked"},
		{"something new", "other"},
	}
	for _, c := range cases {
		if got := CauseKind(c.cause); got != c.want {
			t.Errorf("CauseKind(%q) = %q, want %q", c.cause, got, c.want)
		}
	}
}

// TestConcurrentUse scrapes while every method runs from many goroutines
// (run with -race); each scrape must parse and keep the one-hot gauges
// at no more than one 1.
func TestConcurrentUse(t *testing.T) {
	m := New()
	url := serve(t, m)
	states := []string{"stopped", "playing", "paused"}
	var wg gosync.WaitGroup
	stop := make(chan struct{})
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m.SetPlayback(states[(g+i)%3], sources[(g+i)%3])
				m.SetConnectivity(connectivities[(g+i)%len(connectivities)])
				m.OutageStarted("timeout")
				m.OutageEnded(time.Millisecond)
				m.SpotifyRequest("GET", "/v1/me/player", 200)
				m.SetCoverage([]Coverage{{ID: "p", Name: "n", Playable: i % 5, Items: 4}})
			}
		})
	}
	for range 20 {
		fams := scrape(t, url)
		for _, name := range []string{"tapedeck_playback_state", "tapedeck_spotify_connectivity"} {
			var ones []string
			for _, mt := range fams[name].GetMetric() {
				if mt.GetGauge().GetValue() == 1 {
					ones = append(ones, mt.GetLabel()[0].GetValue())
				}
			}
			if len(ones) > 1 {
				t.Errorf("%s: %v all at 1", name, slices.Sorted(slices.Values(ones)))
			}
		}
	}
	close(stop)
	wg.Wait()
}
