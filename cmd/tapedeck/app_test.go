package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/mpris/mpristest"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// appRig is a connectRig whose Connect device is the Spotify app on this
// computer: a fake app on a private session bus, playing what the fake
// Web API says the device plays.
func appRig(t testing.TB, env ...string) (*connectRig, *mpristest.SpotifyApp) {
	t.Helper()
	mpristest.StartBus(t)
	app := mpristest.NewSpotifyApp(t, "org.mpris.MediaPlayer2.spotify")
	// tapedeck's own MPRIS player goes on the same private bus.
	r := newConnectRig(t, 30000, "immediately", append([]string{"TAPEDECK_SPOTIFY_WATCH_APP", "true",
		"TAPEDECK_PLAYER_MPRIS", "true", "TAPEDECK_PLAYER_MPRIS_BUS", "session"}, env...)...)
	r.playOnSpotify(0)
	app.Play("t1", r.srv.PlayerState().Progress.Milliseconds())
	eventually(t, "the daemon to see the app play", func() bool {
		a := statusOf(t, r.c).Spotify.App
		return a != nil && a.Status == "Playing" && a.TrackID == "t1"
	})
	time.Sleep(1200 * time.Millisecond) // a poll agrees with the app: it plays our Spotify playback
	return r, app
}

// cutHeld cuts the fake Spotify off and waits until the daemon holds the
// outage back because the app still plays.
func cutHeld(t *testing.T, r *connectRig, kind spotifytest.OutageKind) {
	t.Helper()
	r.srv.Outage(spotifytest.Outage{Kind: kind})
	eventually(t, "Spotify degraded, held by the app", func() bool {
		return strings.Contains(statusOf(t, r.c).Spotify.LastError, "still plays")
	})
}

// TestAppHoldsFailoverUntilItsAudioStops is the Web API going away while
// the Spotify app on this computer plays on from its cache: nothing
// switches while it plays; when its audio stops, tapedeck pauses it over
// D-Bus (the Web API is unreachable) and continues from where the app
// stopped, then hands back when Spotify returns.
func TestAppHoldsFailoverUntilItsAudioStops(t *testing.T) {
	r, app := appRig(t)
	cutHeld(t, r, spotifytest.OutageRefuse)
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if st := statusOf(t, r.c); st.Source != "spotify" || st.Spotify.Connectivity != "degraded" {
			t.Fatalf("switched while the app played: source %s, Spotify %s (%s)", st.Source, st.Spotify.Connectivity, st.Spotify.LastError)
		}
	}
	if calls := app.Calls(); len(calls) != 0 {
		t.Fatalf("the app was told %q while it played", calls)
	}

	app.Freeze()
	froze := time.Now()
	_, _, frozenMs := app.State()
	eventually(t, "the fail-over", func() bool { return statusOf(t, r.c).Source == "local" })
	took := time.Since(froze)
	st := statusOf(t, r.c)
	if st.Track == nil || st.Track.SpotifyID != "t1" || st.State != "playing" {
		t.Fatalf("after the fail-over: %+v", st)
	}
	// Where the app stopped, plus the little time local playback has run.
	if got, lo, hi := st.PositionMs, frozenMs-1000, frozenMs+1000+time.Since(froze).Milliseconds()-took.Milliseconds()+500; got < lo || got > hi {
		t.Errorf("local position %d ms, want from where the app froze (%d ms), within [%d, %d]", got, frozenMs, lo, hi)
	}
	if !strings.Contains(st.Spotify.LastError, "refused") || !strings.Contains(st.Spotify.LastError, "audio stopped") {
		t.Errorf("cause %q, want the refused connection and the app's audio stopping", st.Spotify.LastError)
	}
	if took > 5*time.Second {
		t.Errorf("fail-over %s after the app's audio stopped, want about 3 s", took)
	}
	t.Logf("local playback %s after the app's audio stopped", took.Round(10*time.Millisecond))
	eventually(t, "the app paused over D-Bus", func() bool { return slices.Contains(app.Calls(), "Pause") })
	if status, _, _ := app.State(); status != "Paused" {
		t.Errorf("app %s after the fail-over, want Paused", status)
	}
	// The same bus as playerctl sees it: tapedeck plays, the app is paused.
	for player, want := range map[string]string{"tapedeck": "Playing", "spotify": "Paused"} {
		out, err := exec.Command("playerctl", "-p", player, "status").CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != want {
			t.Errorf("playerctl -p %s status = %q (%v), want %s", player, got, err, want)
		}
	}

	// The app starts again by itself while tapedeck plays: paused again.
	app.Play("t1", frozenMs)
	eventually(t, "the app paused a second time", func() bool {
		status, _, _ := app.State()
		return status == "Paused" && len(app.Calls()) == 2
	})
	if st := statusOf(t, r.c); st.Source != "local" || st.State != "playing" {
		t.Errorf("local playback after pausing the app again: %s %s", st.Source, st.State)
	}

	r.srv.EndOutage()
	eventually(t, "the hand-back", func() bool { return statusOf(t, r.c).Source == "spotify" })
	if out := r.c.mustRun("outages"); !strings.Contains(out, "audio stopped") || strings.Contains(out, "ongoing") {
		t.Errorf("outages:\n%s", out)
	}
}

// TestAppPlaysThroughOutage: the Web API is away for a few seconds while
// the app plays from its cache. Nothing switches, the app is never
// touched, and the outage is on record with no local playback.
func TestAppPlaysThroughOutage(t *testing.T) {
	r, app := appRig(t)
	cutHeld(t, r, spotifytest.OutageHang)
	time.Sleep(time.Second)
	r.srv.EndOutage()
	eventually(t, "Spotify online", func() bool { return statusOf(t, r.c).Spotify.Connectivity == "online" })
	if st := statusOf(t, r.c); st.Source != "spotify" {
		t.Errorf("source %s after an outage the app played through, want spotify", st.Source)
	}
	if calls := app.Calls(); len(calls) != 0 {
		t.Errorf("the app was told %q", calls)
	}
	var outages []api.Outage
	r.c.mustRunJSON(&outages, "outages", "--json")
	if len(outages) != 1 || outages[0].End == nil || outages[0].PlayedLocallyMs != 0 || !strings.Contains(outages[0].Cause, "still plays") {
		t.Errorf("outages = %+v, want one, over, played through by the app", outages)
	}
}

// TestAppPausedDuringOutage: the listener pauses the app while the Web
// API is unreachable. That is their pause, not the outage: tapedeck plays
// nothing.
func TestAppPausedDuringOutage(t *testing.T) {
	r, app := appRig(t)
	cutHeld(t, r, spotifytest.Outage503)
	app.Pause()
	eventually(t, "Spotify offline", func() bool { return statusOf(t, r.c).Spotify.Connectivity == "offline" })
	time.Sleep(500 * time.Millisecond)
	st := statusOf(t, r.c)
	if st.Source == "local" || st.State == "playing" {
		t.Errorf("after the listener paused the app: source %s, state %s; want nothing playing", st.Source, st.State)
	}
	if !strings.Contains(st.Spotify.LastError, "paused") {
		t.Errorf("cause %q, want it to say the app was paused", st.Spotify.LastError)
	}
}

// BenchmarkStallDetection measures, from the moment Spotify's audio stops
// while it still says it plays, to the first local sample written: as the
// Web API alone sees it (its position stops moving), and as the Spotify
// app on this computer shows it over MPRIS (the Web API unaware).
func BenchmarkStallDetection(b *testing.B) {
	for _, tc := range []struct {
		name string
		rig  func(b *testing.B, out string) (*connectRig, func())
	}{
		{"web-api", func(b *testing.B, out string) (*connectRig, func()) {
			r := newConnectRig(b, 60000, "never", "TAPEDECK_PLAYER_OUTPUT", "pipe:"+out)
			r.playOnSpotify(0)
			return r, func() { r.srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageFreeze}) }
		}},
		{"app", func(b *testing.B, out string) (*connectRig, func()) {
			r, app := appRig(b, "TAPEDECK_PLAYER_OUTPUT", "pipe:"+out)
			return r, app.Freeze
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var detect time.Duration
			for range b.N {
				b.StopTimer()
				out := filepath.Join(b.TempDir(), "out.pcm")
				if err := os.WriteFile(out, nil, 0o644); err != nil {
					b.Fatal(err)
				}
				r, stall := tc.rig(b, out)
				time.Sleep(2 * time.Second)
				b.StartTimer()
				cut := time.Now()
				stall()
				for {
					if fi, err := os.Stat(out); err == nil && fi.Size() > 0 {
						break
					}
					time.Sleep(2 * time.Millisecond)
				}
				detect += time.Since(cut)
				if st := statusOf(b, r.c); st.Source != "local" {
					b.Fatalf("local samples but source %s", st.Source)
				}
			}
			b.ReportMetric(float64((detect / time.Duration(b.N)).Milliseconds()), "ms-to-first-local-sample")
		})
	}
}
