package main

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// startDaemon runs `tapedeck daemon` in-process for c on a free loopback
// port and waits until it answers; the returned function stops it and
// returns its error.
func startDaemon(t testing.TB, c *cli) func() error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c.env["TAPEDECK_HTTP_LISTEN"] = addr
	if _, ok := c.env["TAPEDECK_PLAYER_OUTPUT"]; !ok {
		c.env["TAPEDECK_PLAYER_OUTPUT"] = "null"
	}
	// Tests must not register on the desktop's session bus (mpris/ has its
	// own tests on a private bus; a test with its own bus may set these).
	if _, ok := c.env["TAPEDECK_PLAYER_MPRIS"]; !ok {
		c.env["TAPEDECK_PLAYER_MPRIS"] = "false"
	}
	if _, ok := c.env["TAPEDECK_SPOTIFY_WATCH_APP"]; !ok {
		c.env["TAPEDECK_SPOTIFY_WATCH_APP"] = "false" // nor watch the desktop's Spotify app
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		root := newRootCmd(os.Stderr, os.Stderr, func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		root.SetArgs([]string{"daemon"})
		done <- root.ExecuteContext(ctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/v1/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("daemon exited at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("daemon did not answer within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once bool
	stop := func() error {
		if once {
			return nil
		}
		once = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("daemon did not stop within 10 s of SIGINT")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	return stop
}

func statusOf(t testing.TB, c *cli) api.Status {
	t.Helper()
	var st api.Status
	c.mustRunJSON(&st, "status", "--json")
	return st
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDaemonWithTheCLI starts the daemon, lets it index the library,
// syncs a playlist, and drives playback with the CLI client.
func TestDaemonWithTheCLI(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(c.music, "Artist", "Album")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fixture.Make(t, dir, "01 One", "flac", 3000, fixture.Tags{Title: "One", Artists: []string{"Artist"}, Album: "Album", ISRC: "GBAAA0000001"})
	fixture.Make(t, dir, "02 Two", "ogg", 3000, fixture.Tags{Title: "Two", Artists: []string{"Artist"}, Album: "Album", ISRC: "GBAAA0000002"})

	if _, _, err := c.run("status"); err == nil || !strings.Contains(err.Error(), "not running") || !strings.Contains(err.Error(), "tapedeck daemon") {
		t.Errorf("status without a daemon: %v", err)
	}

	srv := spotifytest.New()
	defer srv.Close()
	srv.AddPlaylist(spotifytest.Playlist{ID: "pl", Name: "Road", Items: []spotifytest.Item{
		{AddedAt: time.Now(), Track: sp("t1", "One", "Artist", "Album", 3000, "GBAAA0000001")},
		{AddedAt: time.Now(), Track: sp("t9", "Not Here", "Artist", "Album", 3000, "GBAAA0000009")},
		{AddedAt: time.Now(), Track: sp("t2", "Two", "Artist", "Album", 3000, "GBAAA0000002")},
	}})
	linked(t, c, srv)
	c.env["TAPEDECK_SPOTIFY_SYNC_INTERVAL"] = "0"
	stop := startDaemon(t, c)

	eventually(t, "the first scan", func() bool { return statusOf(t, c).Library.Tracks == 2 })
	if _, _, err := c.run("daemon"); err == nil || !strings.Contains(err.Error(), "another tapedeck daemon is running") {
		t.Errorf("second daemon: %v", err)
	}
	c.mustRun("sync") // straight on the database, beside the daemon
	page, err := http.Get("http://" + c.env["TAPEDECK_HTTP_LISTEN"] + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(body), `id="app"`) {
		t.Errorf("GET /: %d %.80q", page.StatusCode, body)
	}

	c.mustRun("play", "Road")
	st := statusOf(t, c)
	if st.State != "playing" || st.Track == nil || st.Track.Title != "One" || st.Playlist == nil || st.Playlist.ID != "pl" || st.Source != "local" {
		t.Fatalf("after play: %+v", st)
	}
	var q api.Queue
	c.mustRunJSON(&q, "queue", "--json")
	if len(q.Entries) != 2 || q.Entries[1].SpotifyID != "t2" {
		t.Errorf("queue skips the track with no local copy: %+v", q)
	}
	c.mustRun("pause")
	if st := statusOf(t, c); st.State != "paused" {
		t.Errorf("after pause: %s", st.State)
	}
	c.mustRun("next")
	c.mustRun("resume")
	eventually(t, "the second track", func() bool {
		st := statusOf(t, c)
		return st.Track != nil && st.Track.Title == "Two" && st.State == "playing"
	})
	// `play` with no playlist resumes, as README says.
	c.mustRun("pause")
	c.mustRun("play")
	if st := statusOf(t, c); st.State != "playing" || st.Track == nil || st.Track.Title != "Two" {
		t.Errorf("play with no playlist after a pause: %s %+v, want Two playing again", st.State, st.Track)
	}
	c.mustRun("volume", "40")
	c.mustRun("seek", "0:01")
	if st := statusOf(t, c); st.Volume != 40 || st.PositionMs < 900 {
		t.Errorf("volume/seek: %+v", st)
	}
	if out := c.mustRun("status"); !strings.Contains(out, "Artist — Two") || !strings.Contains(out, "Spotify: ") {
		t.Errorf("status text:\n%s", out)
	}
	if _, _, err := c.run("play", "No Such Playlist"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown playlist: %v", err)
	}
	if _, _, err := c.run("volume", "101"); exitCode(err) != 2 {
		t.Errorf("volume 101: %v", err)
	}
	for _, args := range [][]string{{"volume"}, {"seek"}, {"pause", "now"}, {"queue", "move", "1"}} {
		if _, _, err := c.run(args...); exitCode(err) != 2 {
			t.Errorf("%q: %v, want a usage error (exit 2)", args, err)
		}
	}
	c.mustRun("shuffle", "on")
	c.mustRun("repeat", "one")
	if st := statusOf(t, c); !st.Shuffle || st.Repeat != "one" {
		t.Errorf("after shuffle on, repeat one: shuffle %v, repeat %q", st.Shuffle, st.Repeat)
	}
	c.mustRun("shuffle", "off")
	c.mustRun("repeat", "off")
	if st := statusOf(t, c); st.Shuffle || st.Repeat != "off" {
		t.Errorf("after shuffle off, repeat off: shuffle %v, repeat %q", st.Shuffle, st.Repeat)
	}
	if _, _, err := c.run("repeat", "twice"); exitCode(err) != 2 {
		t.Errorf("repeat twice: %v", err)
	}
	c.mustRun("stop")
	if err := stop(); err != nil {
		t.Errorf("daemon stop: %v", err)
	}
	// The database is whole and usable after the stop.
	if out := c.mustRun("tracks", "--json"); !strings.Contains(out, "01 One.flac") {
		t.Errorf("after stop: %s", out)
	}
}

// TestDaemonStopsCleanlyMidScanAndPlayback stops the daemon while it plays
// and while a scan of many files is in flight: it exits without error and
// leaves a whole database that the next scan completes.
func TestDaemonStopsCleanlyMidScanAndPlayback(t *testing.T) {
	c := newCLI(t)
	c.env["TAPEDECK_LIBRARY_WATCH"] = "false"
	song := fixture.Make(t, t.TempDir(), "song", "flac", 2000, fixture.Tags{Title: "Song", Artists: []string{"A"}})
	data, err := os.ReadFile(song)
	if err != nil {
		t.Fatal(err)
	}
	stop := startDaemon(t, c)
	// Files arrive after the first scan; a requested scan reads them.
	for i := range 400 {
		dir := filepath.Join(c.music, "A", strings.Repeat("x", i%7+1))
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "song"+strconv.Itoa(i)+".flac"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addr := c.env["TAPEDECK_HTTP_LISTEN"]
	post := func(path, body string) int {
		resp, err := http.Post("http://"+addr+"/api/v1"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/player/play", `{"paths":["`+song+`"]}`); code != http.StatusNoContent {
		t.Fatalf("play: %d", code)
	}
	if code := post("/scan", `{}`); code != http.StatusAccepted {
		t.Fatalf("scan: %d", code)
	}
	eventually(t, "the scan to start", func() bool { return statusOf(t, c).Library.Scanning })
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	db, err := sql.Open("sqlite3", filepath.Join(c.env["TAPEDECK_STATE_DIR"], "tapedeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var res struct{ Added, Unchanged, Failed int }
	c.mustRunJSON(&res, "scan", "--json")
	if res.Added+res.Unchanged != 400 || res.Failed != 0 {
		t.Errorf("scan after the stop: %+v", res)
	}
}
