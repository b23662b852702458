package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tapedeck/tapedeck/internal/fixture"
	tdsync "github.com/tapedeck/tapedeck/sync"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

type entry struct {
	Position    int      `json:"position"`
	SpotifyID   *string  `json:"spotify_id"`
	Name        string   `json:"name"`
	Artists     []string `json:"artists"`
	DurationMs  int64    `json:"duration_ms"`
	ISRC        string   `json:"isrc"`
	LocalPath   *string  `json:"local_path"`
	MatchMethod string   `json:"match_method"`
}

func sp(id, name, artist, album string, ms int, isrc string) *spotifytest.Track {
	return &spotifytest.Track{ID: id, Name: name, DurationMs: ms, ISRC: isrc,
		Artists: []spotifytest.Artist{{ID: "a-" + artist, Name: artist}},
		Album:   spotifytest.Album{ID: "al-" + album, Name: album, ReleaseDate: "1997"}}
}

// linked makes c a logged-in CLI against srv, as after `tapedeck login`.
func linked(t testing.TB, c *cli, srv *spotifytest.Server) {
	c.env["TAPEDECK_SPOTIFY_API_URL"] = srv.APIURL()
	c.env["TAPEDECK_SPOTIFY_ACCOUNTS_URL"] = srv.AccountsURL()
	c.env["TAPEDECK_SPOTIFY_CLIENT_ID"] = srv.ClientID
	access, refresh := srv.IssueTokens()
	tf := tdsync.NewTokenFile(c.env["TAPEDECK_STATE_DIR"])
	if err := tf.Save(&oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// TestMatchCoverageMissingAndExport scans real audio files, syncs a
// playlist from the fake Spotify, and checks what plays offline, the
// missing list, the M3U export, and that the listener's decisions survive
// a rescan and a resync.
func TestMatchCoverageMissingAndExport(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(c.music, "Björk", "Homogenic")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hunter := fixture.Make(t, dir, "01 Hunter", "flac", 4000, fixture.Tags{Title: "Hunter", Artists: []string{"Björk"}, Album: "Homogenic", ISRC: "GBAYE9700101"})
	jogaMP3 := fixture.Make(t, dir, "02 Joga", "mp3", 5000, fixture.Tags{Title: "Joga", Artists: []string{"Bjork"}, Album: "Homogenic"})
	jogaFLAC := fixture.Make(t, dir, "02 Jóga", "flac", 5000, fixture.Tags{Title: "Jóga", Artists: []string{"Björk"}, Album: "Homogenic"})
	bachelorette := fixture.Make(t, dir, "03 Bachelorette", "ogg", 6000, fixture.Tags{Title: "Bachelorette", Artists: []string{"Björk"}, Album: "Homogenic"})
	other := fixture.Make(t, dir, "04 All Is Full of Love", "ogg", 3000, fixture.Tags{Title: "All Is Full of Love", Artists: []string{"Björk"}, Album: "Homogenic"})

	srv := spotifytest.New()
	defer srv.Close()
	added := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	items := []spotifytest.Item{
		{AddedAt: added, Track: sp("t1", "Hunter", "Björk", "Homogenic", 4500, "GBAYE9700101")},
		{AddedAt: added, Track: sp("t2", "Jóga", "Björk", "Homogenic", 5200, "")},
		{AddedAt: added, Track: sp("t3", "Bachelorette - Live at Cambridge", "Björk", "Live Box", 6000, "")},
		{AddedAt: added, Track: sp("t4", "Army of Me", "Björk", "Post", 3900, "GBAYE9500001")},
		{AddedAt: added}, // no longer on Spotify
	}
	srv.AddPlaylist(spotifytest.Playlist{ID: "homo", Name: "Homogenic/Mix: best?", Items: items})
	linked(t, c, srv)

	c.mustRun("scan")
	c.mustRun("sync")

	show := func() []entry {
		t.Helper()
		var p struct {
			Playable int     `json:"playable_offline"`
			Coverage float64 `json:"coverage_pct"`
			Entries  []entry `json:"entries"`
		}
		c.mustRunJSON(&p, "playlist", "show", "homo", "--json")
		return p.Entries
	}
	want := func(e []entry, i int, path, method string) {
		t.Helper()
		got := ""
		if e[i].LocalPath != nil {
			got = *e[i].LocalPath
		}
		if got != path || e[i].MatchMethod != method {
			t.Errorf("entry %d (%s): %q by %q, want %q by %q", i, e[i].Name, got, e[i].MatchMethod, path, method)
		}
	}
	e := show()
	if len(e) != 5 || e[0].SpotifyID == nil || *e[0].SpotifyID != "t1" || e[0].ISRC != "GBAYE9700101" || e[0].Artists[0] != "Björk" {
		t.Fatalf("entries: %+v", e)
	}
	want(e, 0, hunter, "isrc")
	want(e, 1, jogaFLAC, "text") // lossless preferred over the MP3 of the same recording
	want(e, 2, "", "")           // a live version is not the studio file
	want(e, 3, "", "")           // no copy at all
	if e[4].SpotifyID != nil || e[4].LocalPath != nil {
		t.Errorf("gap: %+v", e[4])
	}

	var lists []struct {
		ID       string  `json:"id"`
		Items    int     `json:"items"`
		Playable int     `json:"playable_offline"`
		Coverage float64 `json:"coverage_pct"`
	}
	c.mustRunJSON(&lists, "playlists", "--json")
	var found bool
	for _, l := range lists {
		if l.ID == "homo" {
			found = true
			if l.Items != 5 || l.Playable != 2 || l.Coverage != 40 {
				t.Errorf("coverage: %+v, want 2 of 5 (40%%)", l)
			}
		}
	}
	if !found {
		t.Fatalf("playlist missing from %v", lists)
	}
	if out := c.mustRun("playlists"); !strings.Contains(out, "2 (40%)") {
		t.Errorf("playlists text lacks coverage:\n%s", out)
	}

	var missing []struct {
		Name      string   `json:"name"`
		ISRC      string   `json:"isrc"`
		Playlists []string `json:"playlists"`
	}
	c.mustRunJSON(&missing, "missing", "--format", "json")
	if len(missing) != 2 || missing[0].Name != "Army of Me" || missing[1].Name != "Bachelorette - Live at Cambridge" ||
		missing[0].Playlists[0] != "Homogenic/Mix: best?" {
		t.Errorf("missing = %+v", missing)
	}
	if csv := c.mustRun("missing", "--format", "csv", "--playlist", "Homogenic/Mix: best?"); !strings.HasPrefix(csv, "artist,title,album,duration,isrc") || !strings.Contains(csv, "GBAYE9500001") {
		t.Errorf("csv:\n%s", csv)
	}

	out := t.TempDir()
	c.mustRun("export", "m3u", "--playlist", "homo", "--out", out)
	m3u, err := os.ReadFile(filepath.Join(out, "Homogenic_Mix_ best_.m3u8"))
	if err != nil {
		entries, _ := os.ReadDir(out)
		t.Fatalf("%v (wrote %v)", err, entries)
	}
	wantM3U := "#EXTM3U\n#EXTINF:5,Björk - Hunter\n" + hunter + "\n#EXTINF:5,Björk - Jóga\n" + jogaFLAC + "\n"
	if string(m3u) != wantM3U {
		t.Errorf("m3u:\n%s\nwant:\n%s", m3u, wantM3U)
	}
	c.mustRun("export", "m3u", "--all", "--out", out, "--relative")
	rel, _ := os.ReadFile(filepath.Join(out, "Homogenic_Mix_ best_.m3u8"))
	if want, _ := filepath.Rel(out, hunter); !strings.Contains(string(rel), "\n"+want+"\n") {
		t.Errorf("relative m3u:\n%s", rel)
	}

	// The listener's decisions.
	c.mustRun("match", "pin", "t4", other)                     // "my copy of Army of Me is this file"
	c.mustRun("match", "reject", "spotify:track:t2", jogaFLAC) // "that FLAC is a bad rip"
	c.mustRun("match", "none", "t1")                           // "I have no Hunter"
	check := func(when string) {
		t.Helper()
		e := show()
		want(e, 0, "", "none")
		want(e, 1, jogaMP3, "text")
		want(e, 3, other, "pin")
		if t.Failed() {
			t.Logf("after %s", when)
		}
	}
	check("overrides")
	explain := c.mustRun("match", "explain", "t2")
	if !strings.Contains(explain, "TAKEN") || !strings.Contains(explain, jogaMP3) || !strings.Contains(explain, jogaFLAC) {
		t.Errorf("explain:\n%s", explain)
	}

	// A rescan that rereads every file, and a resync after the playlist
	// changed on Spotify, keep them.
	c.mustRun("scan", "--force")
	check("rescan")
	items = append(items, spotifytest.Item{AddedAt: added, Track: sp("t5", "Bachelorette", "Björk", "Homogenic", 6100, "")})
	srv.UpdatePlaylist(spotifytest.Playlist{ID: "homo", Name: "Homogenic/Mix: best?", Items: items})
	c.mustRun("sync")
	check("resync")
	if e := show(); len(e) != 6 {
		t.Fatalf("after resync: %d entries", len(e))
	} else {
		want(e, 5, bachelorette, "text")
	}

	// Reset brings the matcher's choice back; a removed file leaves.
	c.mustRun("match", "reset", "t1")
	if err := os.Remove(hunter); err != nil {
		t.Fatal(err)
	}
	c.mustRun("scan")
	want(show(), 0, "", "")
	if _, _, err := c.run("match", "pin", "t1", filepath.Join(dir, "nope.flac")); err == nil || !strings.Contains(err.Error(), "not in the index") {
		t.Errorf("pin to an unknown file: %v", err)
	}
	if _, _, err := c.run("match", "none", "t999"); err == nil || !strings.Contains(err.Error(), "no synced playlist") {
		t.Errorf("unknown track: %v", err)
	}
}
