package failover

import (
	"strings"
	"testing"
	"time"
)

// appAt is the Spotify app's report at d: playing track at posMs.
func appAt(d time.Duration, playing bool, track string, posMs int64) AppSnapshot {
	return AppSnapshot{At: at(d), Present: true, Playing: playing, TrackID: track, PositionMs: posMs}
}

// appRun feeds the app's reports every 500 ms from `from` to `to`
// (inclusive), its position given by pos, and returns the transitions.
func appRun(m *Monitor, from, to time.Duration, track string, pos func(d time.Duration) int64) []Transition {
	var ts []Transition
	for d := from; d <= to; d += 500 * time.Millisecond {
		if tr, ok := m.ObserveApp(appAt(d, true, track, pos(d))); ok {
			ts = append(ts, tr)
		}
	}
	return ts
}

// clock is the position of a track that started at 0 at t0 (what playing
// reports), so the app and the Web API agree.
func clock(d time.Duration) int64 { return d.Milliseconds() }

// heldMonitor is online, with the app playing t1 in step with the Web API,
// then two failed polls (12–14.5 s) that would have been an outage: the
// app still plays, so Spotify is only degraded.
func heldMonitor(t *testing.T) *Monitor {
	t.Helper()
	m := onlineMonitor(t, Thresholds{})
	if ts := appRun(m, 10*time.Second, 13*time.Second, "t1", clock); len(ts) != 0 {
		t.Fatalf("setup: app reports caused %+v", ts)
	}
	ts := feed(m, bad(12*time.Second, 13*time.Second, errTimeout))
	appRun(m, 13500*time.Millisecond, 14500*time.Millisecond, "t1", clock)
	ts = append(ts, feed(m, bad(13500*time.Millisecond, 14500*time.Millisecond, errTimeout))...)
	if m.State() != Degraded {
		t.Fatalf("setup: state %s after two failed polls with the app playing, want degraded (transitions %+v)", m.State(), ts)
	}
	last := ts[len(ts)-1]
	if last.From != Degraded || last.To != Degraded || !strings.Contains(last.Cause, CauseAppPlays) || !strings.Contains(last.Cause, "timeout") {
		t.Fatalf("setup: hold transition %+v, want degraded→degraded saying the request timed out and the app plays", last)
	}
	return m
}

func TestAppHoldsOutageUntilItsAudioStops(t *testing.T) {
	m := heldMonitor(t)
	// The Web API keeps failing; the app plays on from its cache, and moves
	// on to the next track at 20 s.
	for d := 15 * time.Second; d < 25*time.Second; d += 500 * time.Millisecond {
		track, pos := "t1", clock(d)
		if d >= 20*time.Second {
			track, pos = "t2", (d - 20*time.Second).Milliseconds()
		}
		if tr, ok := m.ObserveApp(appAt(d, true, track, pos)); ok {
			t.Fatalf("app report at %s caused %+v", d, tr)
		}
		if d%time.Second == 0 {
			if ts := feed(m, bad(d-time.Second, d, errTimeout)); len(ts) != 0 {
				t.Fatalf("failed poll at %s with the app playing caused %+v", d, ts)
			}
		}
	}
	if m.State() != Degraded {
		t.Fatalf("state %s while the app played, want degraded", m.State())
	}
	// Its audio stops at 25 s, 5 s into t2: position stuck from then on.
	m.ObserveApp(appAt(25*time.Second, true, "t2", 5000))
	ts := appRun(m, 25500*time.Millisecond, 30*time.Second, "t2", func(time.Duration) int64 { return 5000 })
	if len(ts) != 1 || ts[0].To != Offline {
		t.Fatalf("transitions after the app's position stuck: %+v, want one to offline", ts)
	}
	if got, want := ts[0].At, at(28*time.Second); !got.Equal(want) {
		t.Errorf("offline at %s, want %s (AppStallAfter after the last move)", got.Sub(t0), want.Sub(t0))
	}
	if !strings.Contains(ts[0].Cause, "timeout") || !strings.Contains(ts[0].Cause, causeAppStopped) {
		t.Errorf("cause %q, want the Web API's failure and the app's audio stopping", ts[0].Cause)
	}
	// Resume where the listener stopped hearing: the app's track and
	// position, not the stale poll's t1 extrapolated.
	if id, ms, ok := m.Position(at(28 * time.Second)); !ok || id != "t2" || ms != 5000 {
		t.Errorf("Position = %q %d %v, want t2 5000 true", id, ms, ok)
	}
	if !m.WasPlaying() {
		t.Error("WasPlaying = false after the app's audio stalled, want true")
	}
}

func TestAppPausedDuringOutageIsTheListeners(t *testing.T) {
	m := heldMonitor(t)
	tr, ok := m.ObserveApp(appAt(15*time.Second, false, "t1", 15000))
	if !ok || tr.To != Offline || !strings.Contains(tr.Cause, causeAppPaused) {
		t.Fatalf("app paused during an outage: %+v %v, want offline, saying it was paused", tr, ok)
	}
	if m.WasPlaying() {
		t.Error("WasPlaying = true after the app was paused: tapedeck would play over the listener's pause")
	}
	if id, ms, _ := m.Position(at(20 * time.Second)); id != "t1" || ms != 15000 {
		t.Errorf("Position = %q %d, want t1 15000 (paused: no extrapolation)", id, ms)
	}
}

func TestAppQuitDuringOutage(t *testing.T) {
	m := heldMonitor(t)
	tr, ok := m.ObserveApp(AppSnapshot{At: at(15 * time.Second)})
	if !ok || tr.To != Offline || !strings.Contains(tr.Cause, causeAppGone) {
		t.Fatalf("app gone during an outage: %+v %v, want offline, saying it quit", tr, ok)
	}
	if !m.WasPlaying() {
		t.Error("WasPlaying = false: the app quit while playing, the music should go on locally")
	}
	if id, ms, _ := m.Position(at(15 * time.Second)); id != "t1" || ms < 14000 || ms > 15000 {
		t.Errorf("Position = %q %d, want t1 at its last report (~14.5 s)", id, ms)
	}
}

func TestAppHoldEndsWhenWebAPIAnswers(t *testing.T) {
	m := heldMonitor(t)
	appRun(m, 14500*time.Millisecond, 15*time.Second, "t1", clock)
	ts := feed(m, good(15*time.Second, 15100*time.Millisecond))
	if len(ts) != 1 || ts[0].To != Online {
		t.Fatalf("good poll after a hold: %+v, want online", ts)
	}
	// The hold is over: the listener pausing the app now is no outage.
	if tr, ok := m.ObserveApp(appAt(16*time.Second, false, "t1", 16000)); ok {
		t.Fatalf("app paused with the Web API answering caused %+v", tr)
	}
}

func TestAppStallWhileWebAPIAnswers(t *testing.T) {
	m := onlineMonitor(t, Thresholds{})
	appRun(m, 10*time.Second, 12*time.Second, "t1", clock)
	// From 12 s the app says Playing but its position stays at 12 s; the
	// Web API (its own clock) still looks fine.
	stuck := func(time.Duration) int64 { return 12000 }
	var ts []Transition
	for d := 12 * time.Second; d <= 16*time.Second && len(ts) == 0; d += 500 * time.Millisecond {
		if d%(2*time.Second) == 0 {
			ts = append(ts, feed(m, good(d, d+50*time.Millisecond))...)
		}
		ts = append(ts, appRun(m, d, d, "t1", stuck)...)
	}
	if len(ts) != 1 || ts[0].To != Offline || ts[0].Cause != CauseAppStalled {
		t.Fatalf("transitions %+v, want one to offline with cause %q", ts, CauseAppStalled)
	}
	if got, want := ts[0].At, at(15*time.Second); !got.Equal(want) {
		t.Errorf("stall detected at %s, want %s", got.Sub(t0), want.Sub(t0))
	}
}

func TestWebAPIStallWithAppPlayingIsNotAnOutage(t *testing.T) {
	m := onlineMonitor(t, Thresholds{})
	// The Web API's progress freezes at 10.1 s; the app's audio plays on.
	var ts []Transition
	for d := 10 * time.Second; d <= 30*time.Second; d += 500 * time.Millisecond {
		ts = append(ts, appRun(m, d, d, "t1", clock)...)
		if d%(2*time.Second) == 0 {
			o := good(d, d+100*time.Millisecond)
			o.Player.ProgressMs = 10_100
			ts = append(ts, feed(m, o)...)
		}
	}
	for _, tr := range ts {
		if tr.To.Local() {
			t.Fatalf("went %s (%s) although the app's audio played throughout", tr.To, tr.Cause)
		}
	}
	if m.State() != Degraded {
		t.Errorf("state %s (%q), want degraded: the Web API's progress is suspect", m.State(), m.LastCause())
	}
}

// An app whose position never moves (some desktop versions report 0) or
// that plays something else is no evidence: detection works as without it.
func TestAppWithoutEvidenceChangesNothing(t *testing.T) {
	cases := map[string]func(d time.Duration) AppSnapshot{
		"position always 0": func(d time.Duration) AppSnapshot { return appAt(d, true, "t1", 0) },
		"another track":     func(d time.Duration) AppSnapshot { return appAt(d, true, "t9", clock(d)) },
		"paused":            func(d time.Duration) AppSnapshot { return appAt(d, false, "t1", 3000) },
	}
	for name, report := range cases {
		t.Run(name, func(t *testing.T) {
			m := onlineMonitor(t, Thresholds{})
			var ts []Transition
			for d := 10 * time.Second; d <= 20*time.Second; d += 500 * time.Millisecond {
				if tr, ok := m.ObserveApp(report(d)); ok {
					ts = append(ts, tr)
				}
				if d%(2*time.Second) == 0 {
					ts = append(ts, feed(m, good(d, d+100*time.Millisecond))...)
				}
			}
			if len(ts) != 0 {
				t.Fatalf("app reports with the Web API healthy caused %+v", ts)
			}
			ts = feed(m, bad(21*time.Second, 22*time.Second, errTimeout), bad(22500*time.Millisecond, 23500*time.Millisecond, errTimeout))
			if m.State() != Offline {
				t.Fatalf("two failed polls: state %s (%+v), want offline as without an app", m.State(), ts)
			}
			if id, _, _ := m.Position(at(24 * time.Second)); id != "t1" {
				t.Errorf("Position track %q, want the Web API's t1", id)
			}
		})
	}
}

// The failed poll can be the first to notice the app stopped: the outage
// says so all the same.
func TestAppStoppedSeenByAFailedPoll(t *testing.T) {
	m := heldMonitor(t)
	// The app's last report was at 14.5 s; nothing since, polls fail on.
	ts := feed(m, bad(17*time.Second, 18*time.Second, errTimeout))
	if len(ts) != 1 || ts[0].To != Offline || !strings.Contains(ts[0].Cause, "timeout") || !strings.Contains(ts[0].Cause, causeAppStopped) {
		t.Fatalf("failed poll 3.5 s after the app's last move: %+v, want offline saying both", ts)
	}
}

// While the app plays through an outage the poll backs off as when
// offline, rather than hammering a failing Web API twice a second.
func TestAppHoldBacksOffThePoll(t *testing.T) {
	m := heldMonitor(t)
	th := m.Thresholds()
	if got := m.PollInterval(); got != th.PollRecovering {
		t.Fatalf("first poll interval of a hold %s, want %s", got, th.PollRecovering)
	}
	d := 15 * time.Second
	for range 6 {
		m.ObserveApp(appAt(d, true, "t1", clock(d)))
		feed(m, bad(d, d+100*time.Millisecond, errRefused))
		d += time.Second
	}
	if got := m.PollInterval(); got != th.PollMax {
		t.Errorf("after 8 failures in a hold the poll interval is %s, want the cap %s", got, th.PollMax)
	}
}
