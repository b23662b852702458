package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// connectRig is a daemon linked to a fake Spotify with a Connect device,
// playing (on Spotify) a synced playlist whose tracks all have local copies
// except the second.
type connectRig struct {
	t   testing.TB
	c   *cli
	srv *spotifytest.Server
}

func newConnectRig(t testing.TB, trackMs int, handback string, env ...string) *connectRig {
	t.Helper()
	return newConnectRigWith(t, trackMs, handback, nil, env...)
}

// newConnectRigWith is newConnectRig with setup run on the fake Spotify
// before the sync (Liked Songs, albums).
func newConnectRigWith(t testing.TB, trackMs int, handback string, setup func(*spotifytest.Server), env ...string) *connectRig {
	t.Helper()
	c := newCLI(t)
	for i := 0; i+1 < len(env); i += 2 {
		c.env[env[i]] = env[i+1]
	}
	dir := filepath.Join(c.music, "Artist", "Album")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := spotifytest.New()
	t.Cleanup(srv.Close)
	srv.AddDevice(spotifytest.Device{ID: "dev1", Name: "Kitchen", Type: "Speaker", VolumePercent: 50, IsActive: true})
	var items []spotifytest.Item
	for i := range 4 {
		id, title, isrc := fmt.Sprintf("t%d", i+1), fmt.Sprintf("Song %d", i+1), fmt.Sprintf("GBAAA000000%d", i+1)
		if i != 1 { // the second track has no local copy
			fixture.Make(t, dir, fmt.Sprintf("%02d %s", i+1, title), "flac", trackMs, fixture.Tags{Title: title, Artists: []string{"Artist"}, Album: "Album", ISRC: isrc})
		}
		items = append(items, spotifytest.Item{AddedAt: time.Now(), Track: sp(id, title, "Artist", "Album", trackMs, isrc)})
	}
	srv.AddPlaylist(spotifytest.Playlist{ID: "pl", Name: "Road", Items: items})
	if setup != nil {
		setup(srv)
	}
	linked(t, c, srv)
	c.env["TAPEDECK_SPOTIFY_SYNC_INTERVAL"] = "0"
	c.env["TAPEDECK_SPOTIFY_POLL_INTERVAL"] = "500ms"
	c.env["TAPEDECK_SPOTIFY_HANDBACK"] = handback
	c.env["TAPEDECK_LIBRARY_WATCH"] = "false"
	c.mustRun("scan")
	c.mustRun("sync")
	startDaemon(t, c)
	r := &connectRig{t: t, c: c, srv: srv}
	eventually(t, "Spotify online", func() bool { return statusOf(t, c).Spotify.Connectivity == "online" })
	return r
}

// playOnSpotify starts the playlist at entry index on the fake device and
// waits until the daemon follows it.
func (r *connectRig) playOnSpotify(index int) {
	r.t.Helper()
	r.c.mustRun("play", "Road", "--index", fmt.Sprint(index))
	eventually(r.t, "the status to follow Spotify", func() bool {
		st := statusOf(r.t, r.c)
		return st.Source == "spotify" && st.State == "playing" && st.Track != nil
	})
}

// TestFailoverForEveryOutageKind cuts the fake off in each way Spotify can
// fail and checks the daemon continues the same track from the local copy
// at the right position (±1 s), then hands back when Spotify returns.
func TestFailoverForEveryOutageKind(t *testing.T) {
	cases := []struct {
		name   string
		cut    func(*spotifytest.Server)
		cause  string
		frozen bool // Spotify's position stopped at the cut (a stall)
		back   bool // Spotify can come back by itself
	}{
		{name: "refused", cut: func(s *spotifytest.Server) { s.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse}) }, cause: "refused", back: true},
		{name: "hang", cut: func(s *spotifytest.Server) { s.Outage(spotifytest.Outage{Kind: spotifytest.OutageHang}) }, cause: "no answer", back: true},
		{name: "503", cut: func(s *spotifytest.Server) { s.Outage(spotifytest.Outage{Kind: spotifytest.Outage503}) }, cause: "503", back: true},
		{name: "stall", cut: func(s *spotifytest.Server) { s.Outage(spotifytest.Outage{Kind: spotifytest.OutageFreeze}) }, cause: "stalled", frozen: true, back: true},
		{name: "device gone", cut: func(s *spotifytest.Server) { s.Outage(spotifytest.Outage{Kind: spotifytest.OutageDeviceGone}) }, cause: "device gone", back: true},
		{name: "login revoked", cut: func(s *spotifytest.Server) { s.RevokeRefreshTokens(); s.ExpireAccessTokens() }, cause: "tapedeck login"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newConnectRig(t, 30000, "immediately")
			r.playOnSpotify(0)
			time.Sleep(1200 * time.Millisecond)
			at := r.srv.PlayerState().Progress
			cut := time.Now()
			tc.cut(r.srv)
			eventually(t, "the fail-over", func() bool { return statusOf(t, r.c).Source == "local" })
			detected := time.Since(cut)
			st := statusOf(t, r.c)
			if st.Track == nil || st.Track.SpotifyID != "t1" || st.State != "playing" || !strings.HasSuffix(st.Track.LocalPath, "01 Song 1.flac") {
				t.Fatalf("after the fail-over: %+v", st)
			}
			want := at + time.Since(cut)
			if tc.frozen {
				want = at + time.Since(cut) - detected // resumes where Spotify's position froze
			}
			if got := time.Duration(st.PositionMs) * time.Millisecond; got < want-time.Second || got > want+time.Second {
				t.Errorf("local position %s, want %s ±1 s", got, want)
			}
			if !strings.Contains(st.Spotify.LastError, tc.cause) {
				t.Errorf("cause %q does not mention %q", st.Spotify.LastError, tc.cause)
			}
			t.Logf("%s: local playback %s after the cut", tc.name, detected.Round(10*time.Millisecond))
			if !tc.back {
				return
			}
			r.srv.EndOutage()
			eventually(t, "the hand-back", func() bool { return statusOf(t, r.c).Source == "spotify" })
			ps := r.srv.PlayerState()
			if !ps.IsPlaying || ps.Index != 0 {
				t.Errorf("Spotify after the hand-back: %+v", ps)
			}
			if out := r.c.mustRun("outages"); !strings.Contains(out, tc.cause) || strings.Contains(out, "ongoing") {
				t.Errorf("outages:\n%s", out)
			}
		})
	}
}

// TestFailoverSkipsTracksWithoutLocalCopy fails over during the second
// track, which has no local copy: local playback starts at the third.
func TestFailoverSkipsTracksWithoutLocalCopy(t *testing.T) {
	r := newConnectRig(t, 30000, "never")
	if _, _, err := r.c.run("play", "Road", "--local", "--spotify"); exitCode(err) != 2 {
		t.Errorf("--local --spotify: %v", err)
	}
	r.c.mustRun("play", "Road", "--local")
	if st := statusOf(t, r.c); st.Source != "local" || r.srv.PlayerState().IsPlaying || st.Playlist == nil ||
		st.Playlist.Items != 4 || st.Playlist.PlayableOffline != 3 {
		t.Errorf("--local: %+v, Spotify playing %v", st, r.srv.PlayerState().IsPlaying)
	}
	r.playOnSpotify(1)
	r.srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse})
	eventually(t, "the fail-over", func() bool { return statusOf(t, r.c).Source == "local" })
	st := statusOf(t, r.c)
	if st.Track == nil || st.Track.SpotifyID != "t3" || st.PositionMs > 1500 {
		t.Fatalf("want t3 from its start, got %+v", st)
	}
	var q struct {
		Entries []struct {
			SpotifyID string `json:"spotify_id"`
		} `json:"entries"`
	}
	r.c.mustRunJSON(&q, "queue", "--json")
	ids := []string{}
	for _, e := range q.Entries {
		ids = append(ids, e.SpotifyID)
	}
	if strings.Join(ids, ",") != "t1,t3,t4" {
		t.Errorf("queue %v, want the playlist's local copies in order", ids)
	}
	// The outage shows in /metrics, with its cause grouped into a kind.
	resp, err := http.Get("http://" + r.c.env["TAPEDECK_HTTP_LISTEN"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tapedeck_outages_total{cause="connection_refused"} 1`, "tapedeck_library_tracks 3",
		`tapedeck_playlist_offline_coverage_ratio{name="Road",playlist="pl"} 0.75`, "tapedeck_failover_latency_seconds_count 1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Policy never: Spotify comes back, tapedeck stays local.
	r.srv.EndOutage()
	eventually(t, "Spotify online", func() bool { return statusOf(t, r.c).Spotify.Connectivity == "online" })
	time.Sleep(time.Second)
	if st := statusOf(t, r.c); st.Source != "local" || st.State != "playing" {
		t.Errorf("handback never: %+v", st)
	}
}

// TestHandbackAtTrackEnd: with the default policy, Spotify takes over at
// the start of the next entry, and the local player stops: never both.
func TestHandbackAtTrackEnd(t *testing.T) {
	r := newConnectRig(t, 7000, "track_end")
	r.playOnSpotify(0)
	r.srv.Outage(spotifytest.Outage{Kind: spotifytest.Outage503})
	eventually(t, "the fail-over", func() bool { return statusOf(t, r.c).Source == "local" })
	r.srv.EndOutage()
	eventually(t, "Spotify online", func() bool { return statusOf(t, r.c).Spotify.Connectivity == "online" })
	if st := statusOf(t, r.c); st.Source != "local" {
		t.Fatalf("handed back before the track ended: %+v", st)
	}
	eventually(t, "the hand-back at the track's end", func() bool { return statusOf(t, r.c).Source == "spotify" })
	// Spotify goes on with the playlist entry after the local track that
	// ended (t2 after t1, which has no local copy but plays on Spotify; or
	// t4 after t3), from its start.
	ps := r.srv.PlayerState()
	if !ps.IsPlaying || (ps.Index != 1 && ps.Index != 3) || ps.Progress > 3*time.Second {
		t.Errorf("Spotify after the hand-back: %+v", ps)
	}
	if st := statusOf(t, r.c); st.Source != "spotify" {
		t.Errorf("source %s", st.Source)
	}
}

// TestNoFailoverOnBlipsRateLimitsOrWhilePaused: a single failed poll, a
// burst of 429s, and an outage while paused switch nothing.
func TestNoFailoverOnBlipsRateLimitsOrWhilePaused(t *testing.T) {
	r := newConnectRig(t, 30000, "immediately")
	r.playOnSpotify(0)
	r.srv.Fault("GET /v1/me/player", spotifytest.Fault{Status: 503, Times: 1})
	r.srv.Fault("GET /v1/me/player", spotifytest.Fault{Status: 429, RetryAfter: 1, Times: 6})
	time.Sleep(4 * time.Second)
	if st := statusOf(t, r.c); st.Source != "spotify" {
		t.Fatalf("a blip or 429s caused a fail-over: %+v", st)
	}
	r.c.mustRun("pause")
	eventually(t, "the daemon to see the pause", func() bool { return statusOf(t, r.c).State == "paused" })
	r.srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse})
	eventually(t, "the outage reported", func() bool { return statusOf(t, r.c).Spotify.Connectivity == "offline" })
	if st := statusOf(t, r.c); st.Source == "local" || st.State == "playing" {
		t.Errorf("an outage while paused started local playback: %+v", st)
	}
}

// BenchmarkFailover measures, end to end through the output, the time from
// the moment the fake Spotify goes dark (connections refused) to the first
// local sample written, and the error of the position local playback
// starts at. The output is a pipe into a regular file, which the player
// fills as fast as it can: its first bytes mark the first local sample.
func BenchmarkFailover(b *testing.B) {
	var detect, posErr time.Duration
	for range b.N {
		b.StopTimer()
		out := filepath.Join(b.TempDir(), "out.pcm")
		if err := os.WriteFile(out, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		r := newConnectRig(b, 60000, "never", "TAPEDECK_PLAYER_OUTPUT", "pipe:"+out)
		b.StartTimer()
		r.playOnSpotify(0)
		starts := r.localStarts()
		time.Sleep(2 * time.Second)
		at := r.srv.PlayerState().Progress
		cut := time.Now()
		r.srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse})
		start := <-starts // the position local playback starts at
		for {
			if fi, err := os.Stat(out); err == nil && fi.Size() > 0 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		detect += time.Since(cut)
		want := at + start.at.Sub(cut)
		posErr += (time.Duration(start.positionMs)*time.Millisecond - want).Abs()
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((detect / n).Milliseconds()), "ms-to-first-local-sample")
	b.ReportMetric(float64((posErr / n).Milliseconds()), "ms-position-error")
}

type localStart struct {
	at         time.Time
	positionMs int64
}

// localStarts follows the daemon's event stream and reports when local
// playback takes over, and at which position.
func (r *connectRig) localStarts() <-chan localStart {
	out := make(chan localStart, 1)
	followEvents(r.t, r.c, "source", func(data []byte) bool {
		var ev struct {
			Source     string `json:"source"`
			PositionMs int64  `json:"position_ms"`
		}
		if json.Unmarshal(data, &ev) == nil && ev.Source == "local" {
			out <- localStart{time.Now(), ev.PositionMs}
			return false
		}
		return true
	})
	return out
}

// followEvents reads the daemon's event stream in the background and
// calls each with the data of every event of type typ, until it returns
// false or the test ends.
func followEvents(t testing.TB, c *cli, typ string, each func(data []byte) bool) {
	t.Helper()
	resp, err := http.Get("http://" + c.env["TAPEDECK_HTTP_LISTEN"] + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		sc := bufio.NewScanner(resp.Body)
		current := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				current = v
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok && current == typ && !each([]byte(data)) {
				return
			}
		}
	}()
}

// TestHandBackNeverOverlaps checks "never two sources at once" from the
// samples: tapedeck plays into a FIFO read as it is written (the pipe:
// output paces itself in real time there), and at the hand-back the last
// local sample comes out before tapedeck asks Spotify to play.
func TestHandBackNeverOverlaps(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu gosync.Mutex
	var lastRead time.Time
	var total int64
	go func() {
		f, err := os.Open(fifo) // blocks until the daemon opens it
		if err != nil {
			return
		}
		defer f.Close()
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				mu.Lock()
				lastRead, total = time.Now(), total+int64(n)
				mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	read := func() (time.Time, int64) {
		mu.Lock()
		defer mu.Unlock()
		return lastRead, total
	}
	r := newConnectRig(t, 30000, "immediately", "TAPEDECK_PLAYER_OUTPUT", "pipe:"+fifo)
	r.playOnSpotify(0)
	time.Sleep(time.Second)
	r.srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse})
	eventually(t, "a second of local audio", func() bool { _, n := read(); return n > 44100*4 })

	// Spotify takes its time to start: local audio must already be over
	// when the request arrives, not when it is answered.
	const slow = 400 * time.Millisecond
	r.srv.Fault("PUT /v1/me/player/play", spotifytest.Fault{Hang: slow, Times: 1})
	r.srv.EndOutage()
	eventually(t, "the hand-back", func() bool { return statusOf(t, r.c).Source == "spotify" })
	ps := r.srv.PlayerState()
	if !ps.IsPlaying {
		t.Fatalf("Spotify after the hand-back: %+v", ps)
	}
	last, n := read()
	// The request arrived about slow before ps.Changed; 100 ms of that is
	// left for the fake's own handling.
	if asked := ps.Changed.Add(-slow + 100*time.Millisecond); last.After(asked) {
		t.Errorf("last local sample read at %s, after tapedeck asked Spotify to play (about %s)",
			last.Format("15:04:05.000"), asked.Format("15:04:05.000"))
	}
	time.Sleep(500 * time.Millisecond)
	if _, m := read(); m != n {
		t.Errorf("%d bytes of local audio after Spotify started", m-n)
	}
}
