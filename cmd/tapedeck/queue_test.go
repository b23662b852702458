package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// followTracks follows the daemon's event stream and returns a function
// listing the titles of the tracks it reported starting, in order.
func followTracks(t testing.TB, c *cli) func() []string {
	t.Helper()
	var mu gosync.Mutex
	var titles []string
	followEvents(t, c, "track", func(data []byte) bool {
		var tr api.TrackInfo
		json.Unmarshal(data, &tr)
		mu.Lock()
		titles = append(titles, tr.Title)
		mu.Unlock()
		return true
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(titles)
	}
}

func titlesOf(q api.Queue) []string {
	var out []string
	for _, e := range q.Entries {
		out = append(out, e.Title)
	}
	return out
}

// TestQueueEditsWithTheCLI edits the queue with the CLI while the daemon
// plays: what it adds plays where it was put, what it removes never plays,
// removing the playing track plays the next, and the listing follows.
func TestQueueEditsWithTheCLI(t *testing.T) {
	c := newCLI(t)
	c.env["TAPEDECK_LIBRARY_WATCH"] = "false"
	dir := filepath.Join(c.music, "Artist", "Album")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := map[string]string{}
	for _, title := range []string{"One", "Two", "Three", "Four"} {
		path[title] = fixture.Make(t, dir, title, "flac", 3000, fixture.Tags{Title: title, Artists: []string{"Artist"}, Album: "Album"})
	}
	startDaemon(t, c)
	eventually(t, "the first scan", func() bool { return statusOf(t, c).Library.Tracks == 4 })
	tracks := followTracks(t, c)

	// Relative paths are the CLI's own working directory's.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, path["One"])
	if err != nil {
		t.Fatal(err)
	}
	var q api.Queue
	c.mustRunJSON(&q, "queue", "add", "--json", rel, path["Two"])
	if got := titlesOf(q); !slices.Equal(got, []string{"One", "Two"}) || q.Index != 0 {
		t.Fatalf("queue after add: %v, index %d", got, q.Index)
	}
	if st := statusOf(t, c); st.State != "stopped" {
		t.Errorf("adding to the queue started playback: %s", st.State)
	}
	c.mustRun("resume") // the queue, from its current entry
	eventually(t, "One to play", func() bool { return slices.Equal(tracks(), []string{"One"}) })

	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"add", "--next", path["Three"]}, []string{"One", "Three", "Two"}},
		{[]string{"add", path["Four"]}, []string{"One", "Three", "Two", "Four"}},
		{[]string{"move", "4", "3"}, []string{"One", "Three", "Four", "Two"}},
		{[]string{"remove", "4"}, []string{"One", "Three", "Four"}},
		{[]string{"add", "--at", "1", path["Two"]}, []string{"Two", "One", "Three", "Four"}},
		{[]string{"remove", "1"}, []string{"One", "Three", "Four"}},
	}
	for _, s := range steps {
		c.mustRunJSON(&q, append([]string{"queue", "--json"}, s.args...)...)
		if got := titlesOf(q); !slices.Equal(got, s.want) {
			t.Fatalf("queue %s: %v, want %v", strings.Join(s.args, " "), got, s.want)
		}
	}
	if st := statusOf(t, c); st.State != "playing" || st.Index != 0 || st.Track == nil || st.Track.Title != "One" {
		t.Errorf("the edits disturbed One: %+v", st)
	}
	out := c.mustRun("queue")
	if !strings.Contains(out, ">   1  Artist — One") || !strings.Contains(out, "    3  Artist — Four") {
		t.Errorf("queue listing:\n%s", out)
	}

	// Removing the playing track plays the next one at once.
	eventually(t, "Three to play", func() bool { return slices.Equal(tracks(), []string{"One", "Three"}) })
	c.mustRunJSON(&q, "queue", "remove", "2", "--json")
	if got := titlesOf(q); !slices.Equal(got, []string{"One", "Four"}) || q.Index != 1 {
		t.Errorf("after removing the playing track: %v, index %d", got, q.Index)
	}
	eventually(t, "the end of the queue", func() bool { return statusOf(t, c).State == "stopped" })
	if got := tracks(); !slices.Equal(got, []string{"One", "Three", "Four"}) {
		t.Errorf("tracks played %v, want One Three Four", got)
	}

	for _, args := range [][]string{{"queue", "remove", "0"}, {"queue", "remove"}, {"queue", "move", "1"},
		{"queue", "add", "--next", "--at", "2", path["One"]}, {"queue", "add"}, {"queue", "frob"}} {
		if _, _, err := c.run(args...); exitCode(err) != 2 {
			t.Errorf("%s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	for args, want := range map[string]string{
		"queue remove 3":                  "no entry 3",
		"queue move 1 9":                  "no entry 1 or 9",
		"queue add --at 9 " + path["One"]: "--at 9",
		"queue add /no/such.flac":         "/no/such.flac is not a file",
	} {
		_, _, err := c.run(strings.Fields(args)...)
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", args, err, want)
		}
	}
	if got := titlesOf(queueOf(t, c)); !slices.Equal(got, []string{"One", "Four"}) {
		t.Errorf("refused edits changed the queue: %v", got)
	}
}

// TestQueueEditsAndSpotify: while Spotify plays the queue is its own and
// edits are refused; during an outage they work, and an entry added from
// another playlist (which has no place in the playing one) is never where
// the hand-back starts Spotify: it waits for the next entry of the
// playlist to end.
func TestQueueEditsAndSpotify(t *testing.T) {
	r := newConnectRigWith(t, 5000, "track_end", func(s *spotifytest.Server) {
		s.AddPlaylist(spotifytest.Playlist{ID: "other", Name: "Other", Items: []spotifytest.Item{rigTrack(4, 5000)}})
	})
	r.playOnSpotify(0)
	before := titlesOf(queueOf(t, r.c))
	if _, _, err := r.c.run("queue", "remove", "1"); err == nil || !strings.Contains(err.Error(), "Spotify is playing") {
		t.Errorf("queue remove while Spotify plays: %v", err)
	}
	if got := titlesOf(queueOf(t, r.c)); !slices.Equal(got, before) {
		t.Errorf("the refused edit changed the queue: %v, was %v", got, before)
	}

	r.srv.Outage(spotifytest.Outage{Kind: spotifytest.Outage503})
	eventually(t, "the fail-over", func() bool { return statusOf(t, r.c).Source == "local" })
	resp, err := http.Post("http://"+r.c.env["TAPEDECK_HTTP_LISTEN"]+"/api/v1/queue/entries", "application/json",
		strings.NewReader(`{"playlist":"Other","index":0,"next":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var q api.Queue
	json.NewDecoder(resp.Body).Decode(&q)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !slices.Equal(titlesOf(q), []string{"Song 1", "Song 4", "Song 3", "Song 4"}) {
		t.Fatalf("adding Other's entry: %d %v", resp.StatusCode, titlesOf(q))
	}
	r.c.mustRun("next") // Other's Song 4 plays
	r.srv.EndOutage()
	eventually(t, "Spotify online", func() bool { return statusOf(t, r.c).Spotify.Connectivity == "online" })
	if st := statusOf(t, r.c); st.Source != "local" || st.Index != 1 {
		t.Fatalf("before Other's entry ended: %+v", st)
	}
	// The queued entry plays to its end; then Spotify goes on with the
	// playlist after the last of its entries heard (Song 1, skipped): Song
	// 2, which has no local copy.
	eventually(t, "the hand-back", func() bool { return statusOf(t, r.c).Source == "spotify" })
	if ps := r.srv.PlayerState(); !ps.IsPlaying || ps.ContextURI != "spotify:playlist:pl" || ps.Index != 1 {
		t.Errorf("Spotify after the hand-back: %+v, want the playlist at Song 2 (index 1)", ps)
	}
}
