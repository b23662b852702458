package sync

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// benchAccount fills the fake with 200 playlists of 100 to 2,000 items and
// returns the fewest requests a first sync can make: the playlist-list
// pages, ⌈items/page⌉ per playlist, and Liked Songs' pages.
func benchAccount(srv *spotifytest.Server) (items, minimum int) {
	const n = 200
	minimum = pages(n, playlistsPageSize)
	for i := range n {
		size := 100 + i*1900/(n-1)
		p := playlist(fmt.Sprintf("bench%03d", i), size)
		srv.AddPlaylist(p)
		items += size
		minimum += pages(size, itemsPageSize)
	}
	srv.SetLiked(liked(500))
	return items + 500, minimum + pages(500, likedPageSize)
}

func benchSyncer(b *testing.B, srv *spotifytest.Server) *Syncer {
	b.Helper()
	st, err := cache.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	tf := NewTokenFile(b.TempDir())
	access, refresh := srv.IssueTokens()
	if err := tf.Save(&oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	src, err := NewTokenSource(context.Background(), OAuthConfig(srv.ClientID, srv.AccountsURL(), "http://127.0.0.1:1/cb"), tf, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewClient(srv.APIURL(), src, DefaultRetry(), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	return NewSyncer(c, st)
}

// BenchmarkSyncFirst: a first sync of 200 playlists (100–2,000 items).
func BenchmarkSyncFirst(b *testing.B) {
	srv := spotifytest.New()
	defer srv.Close()
	items, minimum := benchAccount(srv)
	var res Result
	for b.Loop() {
		s := benchSyncer(b, srv)
		var err error
		if res, err = s.Sync(context.Background()); err != nil || res.Failed != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(res.Requests), "requests")
	b.ReportMetric(float64(minimum), "minimum")
	b.ReportMetric(float64(items), "items")
}

// BenchmarkSyncUnchanged: a resync when nothing changed.
func BenchmarkSyncUnchanged(b *testing.B) {
	srv := spotifytest.New()
	defer srv.Close()
	benchAccount(srv)
	s := benchSyncer(b, srv)
	if _, err := s.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	var res Result
	for b.Loop() {
		var err error
		if res, err = s.Sync(context.Background()); err != nil || res.Fetched != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(res.Requests), "requests")
	b.ReportMetric(float64(pages(200, playlistsPageSize)+1), "minimum")
}
