package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// TestFailoverAndHandback plays a playlist on the fake Spotify Connect
// device, takes the fake down (connections refused), and checks the daemon
// continues the same track from its local copy near the same position, then
// hands back to Spotify at the same track when it returns.
func TestFailoverAndHandback(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(c.music, "Artist", "Album")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"One", "Two", "Three"} {
		fixture.Make(t, dir, "0"+string(rune('1'+i))+" "+title, "flac", 20000, fixture.Tags{Title: title, Artists: []string{"Artist"}, Album: "Album", ISRC: "GBAAA000000" + string(rune('1'+i))})
	}
	srv := spotifytest.New()
	defer srv.Close()
	srv.AddDevice(spotifytest.Device{ID: "dev1", Name: "Kitchen", Type: "Speaker", VolumePercent: 50, IsActive: true})
	srv.AddPlaylist(spotifytest.Playlist{ID: "pl", Name: "Road", Items: []spotifytest.Item{
		{AddedAt: time.Now(), Track: sp("t1", "One", "Artist", "Album", 20000, "GBAAA0000001")},
		{AddedAt: time.Now(), Track: sp("t2", "Two", "Artist", "Album", 20000, "GBAAA0000002")},
		{AddedAt: time.Now(), Track: sp("t3", "Three", "Artist", "Album", 20000, "GBAAA0000003")},
	}})
	linked(t, c, srv)
	c.env["TAPEDECK_SPOTIFY_SYNC_INTERVAL"] = "0"
	c.env["TAPEDECK_SPOTIFY_POLL_INTERVAL"] = "500ms"
	c.env["TAPEDECK_SPOTIFY_HANDBACK"] = "immediately"
	c.mustRun("scan")
	c.mustRun("sync")
	startDaemon(t, c)
	eventually(t, "Spotify online", func() bool { return statusOf(t, c).Spotify.Connectivity == "online" })

	c.mustRun("play", "Road")
	if st := srv.PlayerState(); !st.IsPlaying || st.ContextURI != "spotify:playlist:pl" || st.DeviceID != "dev1" {
		t.Fatalf("Spotify not playing the playlist: %+v", st)
	}
	eventually(t, "the status to follow Spotify", func() bool {
		st := statusOf(t, c)
		return st.Source == "spotify" && st.Track != nil && st.Track.SpotifyID == "t1" && st.State == "playing"
	})
	if st := statusOf(t, c); !strings.HasSuffix(st.Track.LocalPath, "01 One.flac") {
		t.Errorf("status while on Spotify lacks the local copy: %+v", st.Track)
	}
	time.Sleep(1500 * time.Millisecond)
	at := srv.PlayerState().Progress
	cut := time.Now()
	if err := srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fail-over", func() bool { return statusOf(t, c).Source == "local" })
	detected := time.Since(cut)
	st := statusOf(t, c)
	if st.Track == nil || st.Track.SpotifyID != "t1" || st.State != "playing" || !strings.HasSuffix(st.Track.LocalPath, "01 One.flac") {
		t.Fatalf("after the fail-over: %+v", st)
	}
	// Local playback should be where Spotify would be now.
	want := at + time.Since(cut)
	if got := time.Duration(st.PositionMs) * time.Millisecond; got < want-time.Second || got > want+time.Second {
		t.Errorf("local position %s, Spotify would be at %s (±1 s)", got, want)
	}
	if st.Spotify.Connectivity != "offline" || !strings.Contains(st.Spotify.LastError, "refused") {
		t.Errorf("connectivity %+v", st.Spotify)
	}
	t.Logf("outage detected and local playback started %s after the cut", detected.Round(10*time.Millisecond))
	if detected > 4*time.Second {
		t.Errorf("fail-over took %s", detected)
	}

	if out := c.mustRun("status"); !strings.Contains(out, "Spotify: offline since") || !strings.Contains(out, "playing your own copy") {
		t.Errorf("status during the outage:\n%s", out)
	}
	if err := srv.EndOutage(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the hand-back", func() bool { return statusOf(t, c).Source == "spotify" })
	ps := srv.PlayerState()
	if !ps.IsPlaying || ps.Index != 0 {
		t.Errorf("Spotify after hand-back: %+v", ps)
	}
	if out := c.mustRun("status"); !strings.Contains(out, "Spotify: online") {
		t.Errorf("status after hand-back:\n%s", out)
	}
	if out := c.mustRun("outages"); !strings.Contains(out, "connection refused; played locally") {
		t.Errorf("outages:\n%s", out)
	}
}
