package spotifytest_test

import (
	"fmt"
	"io"
	"net/http"
	gosync "sync"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// TestConcurrentReadsAndUpdates runs clients and library changes at once;
// under -race it checks the fake's locking.
func TestConcurrentReadsAndUpdates(t *testing.T) {
	srv := newServer(t)
	demo := srv.LoadDemo(5, 200, 50)
	token, _ := srv.IssueTokens()
	var wg gosync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				p := demo.Playlists[(w+i)%len(demo.Playlists)]
				status, body, _ := get(t, fmt.Sprintf("%s/playlists/%s/items?limit=50&offset=%d", srv.APIURL(), p.ID, i*10), token)
				if status != http.StatusOK && !(p.Forbidden && status == http.StatusForbidden) {
					t.Errorf("%s: %d %s", p.ID, status, body)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			p := demo.Playlists[i%5]
			p.Items = p.Items[:len(p.Items)-i]
			srv.UpdatePlaylist(p)
			srv.Fault("GET /v1/me", spotifytest.Fault{Status: 500, Times: 1})
			srv.Requests("GET /v1/playlists/{id}/items")
		}
	})
	wg.Wait()
}

// TestLargeLibrary walks a whole playlist of 2,000 entries in 50-entry
// pages, as a sync does, and checks it stays fast.
func TestLargeLibrary(t *testing.T) {
	srv := newServer(t)
	demo := srv.LoadDemo(20, 2000, 2000)
	token, _ := srv.IssueTokens()
	start := time.Now()
	n := 0
	next := srv.APIURL() + "/playlists/" + demo.Playlists[0].ID + "/items?limit=50&additional_types=track,episode"
	for next != "" {
		p := getObj(t, next, token)
		n += len(list(t, p["items"]))
		next, _ = p["next"].(string)
	}
	if n != 2000 {
		t.Errorf("walked %d entries", n)
	}
	t.Logf("2,000 entries in 40 pages: %v", time.Since(start))
	if p := getObj(t, srv.APIURL()+"/me/playlists?limit=50", token); p["total"] != 21.0 {
		t.Errorf("playlists total %v", p["total"])
	}
}

var benchDemo = gosync.OnceValue(func() spotifytest.Demo { return spotifytest.NewDemo(200, 2000, 0) })

// BenchmarkPlaylistItemsPage fetches 50-entry pages from a library of 200
// playlists of 2,000 entries.
func BenchmarkPlaylistItemsPage(b *testing.B) {
	srv := spotifytest.New()
	defer srv.Close()
	demo := benchDemo()
	for _, p := range demo.Playlists {
		srv.AddPlaylist(p)
	}
	token, _ := srv.IssueTokens()
	client := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		p := demo.Playlists[i%200]
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/playlists/%s/items?limit=50&offset=%d", srv.APIURL(), p.ID, (i*50)%2000), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

func BenchmarkNewDemo(b *testing.B) {
	for range b.N {
		spotifytest.NewDemo(200, 2000, 2000)
	}
}
