package metrics

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tapedeck/tapedeck/api"
)

// TestServedByAPI mounts the handler in the real API server, as the
// daemon does, and scrapes it with the token Prometheus would send.
func TestServedByAPI(t *testing.T) {
	m := New()
	m.SetLibraryTracks(7)
	// /metrics never reaches the backend; an empty one proves it.
	srv, err := api.New(struct{ api.Backend }{}, api.Options{Listen: "127.0.0.1:0", Token: "scrape-token", Metrics: m.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	url := "http://" + srv.Addr() + "/metrics"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without the token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer scrape-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("status %d, exposition does not parse: %v", resp.StatusCode, err)
	}
	if v, _ := value(fams, "tapedeck_library_tracks"); v != 7 {
		t.Errorf("tapedeck_library_tracks = %v, want 7", v)
	}
}
