package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchStatus is a realistic status: a local track playing from a
// playlist during an outage.
func benchStatus() Status {
	since := time.Date(2026, 11, 22, 20, 5, 0, 0, time.UTC)
	return Status{
		State: "playing", Source: "local", PositionMs: 83_500, Index: 12, Volume: 80, Repeat: "off",
		Track: &TrackInfo{SpotifyID: "4uLU6hMCjMI75M1A2tKUQC", Title: "Bohemian Rhapsody", Artists: []string{"Queen"},
			Album: "A Night at the Opera", DurationMs: 354_000, LocalPath: "/home/me/Music/Queen/A Night at the Opera/11 Bohemian Rhapsody.flac"},
		Playlist: &PlaylistRef{ID: "37i9dQZF1DXcBWIGoYBM5M", Name: "Road trip"},
		Spotify:  SpotifyStatus{Connectivity: "offline", Since: &since, LastError: "dial tcp: connection refused", LastSync: &since},
		Library:  LibraryStatus{Tracks: 2000, LastScan: &since},
	}
}

// BenchmarkStatusHandler is GET /api/v1/status through the security
// middleware and the mux, without the network.
func BenchmarkStatusHandler(b *testing.B) {
	st := benchStatus()
	s, err := New(&benchBackend{st: st}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	req := httptest.NewRequest("GET", "/api/v1/status", nil)
	req.Host = "127.0.0.1:8273"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}

// BenchmarkStatus is GET /api/v1/status over a real loopback listener
// with keep-alive connections (parallel clients: -cpu sets how many).
func BenchmarkStatus(b *testing.B) {
	ts := start(b, &benchBackend{st: benchStatus()}, Options{})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(ts.URL + "/api/v1/status")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	})
}

// benchBackend answers Status without recording (the fake's mutex would
// be what is measured).
type benchBackend struct {
	fakeBackend
	st Status
}

func (f *benchBackend) Status(_ context.Context) Status { return f.st }
