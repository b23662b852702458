package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/internal/browser"
	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// TestWebPagePinReachesTheDatabase runs the daemon on a real library and a
// synced playlist, and in headless Chromium pins a file to a track that
// has no automatic match (searching the library from the page, as a
// listener would) and rejects the file matched to another. Both decisions
// are in the SQLite database, and the CLI and the API agree, also after a
// full rematch.
func TestWebPagePinReachesTheDatabase(t *testing.T) {
	c := newCLI(t)
	c.env["TAPEDECK_LIBRARY_WATCH"] = "false"
	dir := filepath.Join(c.music, "Björk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hunter := fixture.Make(t, dir, "01 Hunter", "flac", 3000, fixture.Tags{Title: "Hunter", Artists: []string{"Björk"}, Album: "Homogenic", ISRC: "GBAYE9700101"})
	// A rip whose tags lost the title: no rule can tell it is Army of Me.
	army := fixture.Make(t, dir, "track07", "ogg", 3000, fixture.Tags{Title: "Track 07", Artists: []string{"Björk"}, Album: "Post"})
	fixture.Make(t, dir, "track08", "ogg", 3000, fixture.Tags{Title: "Isobel", Artists: []string{"Björk"}, Album: "Post"})

	srv := spotifytest.New()
	defer srv.Close()
	added := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	srv.AddPlaylist(spotifytest.Playlist{ID: "mix", Name: "Björk mix", Items: []spotifytest.Item{
		{AddedAt: added, Track: sp("t1", "Hunter", "Björk", "Homogenic", 3000, "GBAYE9700101")},
		{AddedAt: added, Track: sp("t4", "Army of Me", "Björk", "Post", 3000, "")},
	}})
	linked(t, c, srv)
	c.mustRun("scan")
	c.mustRun("sync")
	matched := func(e entry) string {
		if e.LocalPath == nil {
			return "-"
		}
		return *e.LocalPath + " by " + e.MatchMethod
	}
	if e := showPlaylist(t, c, "mix"); matched(e[0]) != hunter+" by isrc" || matched(e[1]) != "-" {
		t.Fatalf("before: Hunter %s, Army of Me %s; want Hunter by ISRC and Army of Me unmatched", matched(e[0]), matched(e[1]))
	}

	startDaemon(t, c)
	base := "http://" + c.env["TAPEDECK_HTTP_LISTEN"]
	b := browser.Start(t, 60*time.Second)
	item := func(id, sel string) string { return fmt.Sprintf(`#entries > li[data-id=%q] %s`, id, sel) }
	shows := func(id, match string) chromedp.Action {
		return browser.Poll(fmt.Sprintf(`document.querySelector(%q)?.textContent === %q`, item(id, ".match"), match))
	}

	b.Run(t, "open the playlist", chromedp.Navigate(base+"/"),
		chromedp.Click(`#playlists li[data-id="mix"] button`, chromedp.ByQuery),
		shows("t4", "missing"))

	// Pin: open the entry's panel, erase the search it suggests (the title
	// finds nothing), search for the album, pick the file.
	input := item("t4", ".match-panel input")
	var suggested string
	b.Run(t, "open the match panel", chromedp.Click(item("t4", ".fix"), chromedp.ByQuery),
		chromedp.WaitVisible(input, chromedp.ByQuery),
		chromedp.Value(input, &suggested, chromedp.ByQuery))
	b.Run(t, "pin from the page",
		chromedp.SendKeys(input, strings.Repeat(kb.Backspace, utf8.RuneCountInString(suggested))+"bjork post", chromedp.ByQuery),
		browser.Poll(fmt.Sprintf(`document.querySelectorAll(%q).length === 2`, item("t4", ".match-results li"))),
		chromedp.Click(item("t4", fmt.Sprintf(`.match-results li[data-path=%q] .pin`, army)), chromedp.ByQuery),
		shows("t4", "pin"),
		browser.Poll(`document.getElementById("detail-cov").textContent.startsWith("2 of 2")`),
	)
	var listed []string
	b.Run(t, "candidates", chromedp.Evaluate(`[...document.querySelectorAll(".match-results li")].map(li => li.dataset.path)`, &listed))
	if len(listed) != 0 {
		t.Errorf("the panel stayed open after the pin: %q", listed)
	}

	// Reject: Hunter's file is not Hunter after all.
	b.Run(t, "reject from the page",
		chromedp.Click(item("t1", ".fix"), chromedp.ByQuery),
		chromedp.Click(item("t1", ".match-panel .reject"), chromedp.ByQuery),
		shows("t1", "missing"),
		browser.Poll(`document.getElementById("detail-cov").textContent.startsWith("1 of 2")`),
	)
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the browser reported problems:\n%s", strings.Join(p, "\n"))
	}

	// The database, read with the cache package beside the daemon.
	ctx := context.Background()
	store, err := cache.Open(ctx, filepath.Join(c.env["TAPEDECK_STATE_DIR"], "tapedeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	decided, err := store.Overrides(ctx, []string{"t1", "t4"})
	if err != nil {
		t.Fatal(err)
	}
	want := []cache.Override{{SpotifyID: "t1", Kind: "reject", Path: hunter}, {SpotifyID: "t4", Kind: "pin", Path: army}}
	if !reflect.DeepEqual(decided, want) {
		t.Errorf("decisions in the database: %+v, want %+v", decided, want)
	}
	armyRow, err := store.TrackByPath(ctx, army)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := store.MatchOf(ctx, "t4"); err != nil || m.Method != "pin" || m.LocalID != armyRow.ID {
		t.Errorf("match row of t4: %+v, %v; want a pin to %s (id %d)", m, err, army, armyRow.ID)
	}
	if m, err := store.MatchOf(ctx, "t1"); err != nil || m.LocalID != 0 {
		t.Errorf("match row of t1: %+v, %v; want no file once %s is rejected", m, err, hunter)
	}

	// The CLI and the API say the same, and a full rematch keeps it.
	agree := func(when string) {
		t.Helper()
		for who, e := range map[string][]entry{"tapedeck playlist show": showPlaylist(t, c, "mix"), "the API": apiPlaylist(t, base, "mix")} {
			if matched(e[0]) != "-" || matched(e[1]) != army+" by pin" {
				t.Errorf("%s %s: Hunter %s, Army of Me %s; want none and %s by pin", who, when, matched(e[0]), matched(e[1]), army)
			}
		}
	}
	agree("after the page's decisions")
	if out := c.mustRun("match", "explain", "t4"); !strings.Contains(out, "Plays offline from "+army+"\n  by pin") {
		t.Errorf("match explain t4:\n%s", out)
	}
	c.mustRun("match")
	agree("after `tapedeck match`")
}

func showPlaylist(t *testing.T, c *cli, id string) []entry {
	t.Helper()
	var p struct{ Entries []entry }
	c.mustRunJSON(&p, "playlist", "show", id, "--json")
	return p.Entries
}

func apiPlaylist(t *testing.T, base, id string) []entry {
	t.Helper()
	res, err := http.Get(base + "/api/v1/playlists/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p struct{ Entries []entry }
	if err := json.NewDecoder(res.Body).Decode(&p); res.StatusCode != 200 || err != nil {
		t.Fatalf("GET /api/v1/playlists/%s: %d %v", id, res.StatusCode, err)
	}
	return p.Entries
}
