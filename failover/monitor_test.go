package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// t0 is the fake clock's origin: every time in these tests is t0 plus an
// offset, carried by the observations, so nothing sleeps.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

var (
	errRefused = fmt.Errorf("Get \"https://api.spotify.com/v1/me/player\": dial tcp: %w", syscall.ECONNREFUSED)
	errTimeout = fmt.Errorf("Get \"https://api.spotify.com/v1/me/player\": %w", context.DeadlineExceeded)
	errReset   = fmt.Errorf("read tcp: %w", syscall.ECONNRESET)
)

// playing is the player on device "d1", playing track "t1" from position 0
// at t0, as the poll would read it at d.
func playing(d time.Duration) *PlayerSnapshot {
	return &PlayerSnapshot{IsPlaying: true, ProgressMs: d.Milliseconds(), DurationMs: 600_000,
		TrackID: "t1", DeviceID: "d1", DevicePresent: true}
}

func good(start, end time.Duration) Observation {
	return Observation{Started: at(start), At: at(end), Status: 200, Player: playing(end)}
}

func bad(start, end time.Duration, err error) Observation {
	return Observation{Started: at(start), At: at(end), Err: err}
}

func status(start, end time.Duration, code int) Observation {
	return Observation{Started: at(start), At: at(end), Status: code}
}

// onlineMonitor is a Monitor that has seen Spotify play for 10 s.
func onlineMonitor(t testing.TB, th Thresholds) *Monitor {
	t.Helper()
	m := NewMonitor(th)
	for d := time.Duration(0); d <= 10*time.Second; d += 2 * time.Second {
		m.Observe(good(d, d+100*time.Millisecond))
	}
	if m.State() != Online {
		t.Fatalf("setup: state %s, want online", m.State())
	}
	return m
}

// feed observes each in turn and returns the transitions.
func feed(m *Monitor, obs ...Observation) []Transition {
	var ts []Transition
	for _, o := range obs {
		if tr, ok := m.Observe(o); ok {
			ts = append(ts, tr)
		}
	}
	return ts
}

func states(ts []Transition) string {
	var b strings.Builder
	for i, tr := range ts {
		if i == 0 {
			b.WriteString(string(tr.From))
		}
		b.WriteString(" > " + string(tr.To))
	}
	return b.String()
}

const s = time.Second
const ms = time.Millisecond

func TestObserveTransitions(t *testing.T) {
	cases := []struct {
		name      string
		obs       []Observation
		want      string // the states passed through, from the online start
		wantCause string // of the last transition
		wantAt    time.Time
	}{
		{"one timeout then an answer", []Observation{bad(12*s, 13*s, errTimeout), good(13500*ms, 13600*ms)},
			"online > degraded > online", "Spotify answers again", at(13600 * ms)},
		{"one refused then an answer", []Observation{bad(12*s, 12*s, errRefused), good(12500*ms, 12600*ms)},
			"online > degraded > online", "Spotify answers again", at(12600 * ms)},
		{"one 503 then an answer", []Observation{status(12*s, 12100*ms, 503), good(12600*ms, 12700*ms)},
			"online > degraded > online", "Spotify answers again", at(12700 * ms)},
		{"a slow reply within the timeout", []Observation{good(12*s, 12900*ms)}, "", "", time.Time{}},
		{"two timeouts", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout)},
			"online > degraded > offline", "timeout", at(14500 * ms)},
		{"two 503s 0.5 s apart wait for a third", []Observation{status(12*s, 12100*ms, 503), status(12600*ms, 12700*ms, 503), status(13200*ms, 13300*ms, 503)},
			"online > degraded > offline", "HTTP 503 Service Unavailable", at(13300 * ms)},
		{"502 then 504", []Observation{status(12*s, 12100*ms, 502), status(12600*ms, 13100*ms, 504)},
			"online > degraded > offline", "HTTP 504 Gateway Timeout", at(13100 * ms)},
		{"refused then reset", []Observation{bad(12*s, 12*s, errRefused), bad(12500*ms, 12500*ms, errRefused), bad(13*s, 13*s, errReset)},
			"online > degraded > offline", "connection reset", at(13 * s)},
		{"a burst of failures on one blip", []Observation{bad(12*s, 12*s, errReset), bad(12*s, 12010*ms, errReset), bad(12*s, 12020*ms, errReset), good(12500*ms, 12600*ms)},
			"online > degraded > online", "Spotify answers again", at(12600 * ms)},
		{"another call answering clears a failure", []Observation{bad(12*s, 13*s, errTimeout), {At: at(13100 * ms), Status: 200}},
			"online > degraded > online", "Spotify answers again", at(13100 * ms)},
		{"429s never go offline", repeat(200, func(i int) Observation { return status(12*s+time.Duration(i)*s, 12*s+time.Duration(i)*s, 429) }),
			"", "", time.Time{}},
		{"429 ends a run of failures", []Observation{bad(12*s, 13*s, errTimeout), status(13500*ms, 13600*ms, 429), bad(14*s, 15*s, errTimeout)},
			"online > degraded", "timeout", at(13 * s)},
		{"401s are not an outage", repeat(20, func(i int) Observation { return status(12*s+time.Duration(i)*s, 12*s+time.Duration(i)*s, 401) }),
			"", "", time.Time{}},
		{"401 ends a run of failures", []Observation{bad(12*s, 13*s, errTimeout), status(13500*ms, 13600*ms, 401), bad(14*s, 15*s, errTimeout)},
			"online > degraded", "timeout", at(13 * s)},
		{"403 and 404 are our bugs, not outages", []Observation{status(12*s, 12*s, 403), status(13*s, 13*s, 404), status(14*s, 14*s, 400)},
			"", "", time.Time{}},
		{"canceled is ignored", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14*s, context.Canceled), bad(14*s, 14200*ms, fmt.Errorf("poll: %w", context.Canceled))},
			"online > degraded", "timeout", at(13 * s)},
		{"invalid_grant falls back locally", []Observation{{At: at(12 * s), LoginRevoked: true}},
			"online > not_linked", CauseLoginRevoked, at(12 * s)},
		{"not linked stays through failures", []Observation{{At: at(12 * s), LoginRevoked: true}, bad(13*s, 14*s, errTimeout), {At: at(15 * s), LoginRevoked: true}},
			"online > not_linked", CauseLoginRevoked, at(12 * s)},
		{"linked again", []Observation{{At: at(12 * s), LoginRevoked: true}, good(20*s, 20*s), good(21*s, 21*s), good(22*s, 22*s)},
			"online > not_linked > recovering > online", "Spotify steady again for 2s", at(22 * s)},
		{"revoked while offline", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout), {At: at(15 * s), LoginRevoked: true}},
			"online > degraded > offline > not_linked", CauseLoginRevoked, at(15 * s)},
		{"recovering needs 3 polls over 2 s", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout),
			good(20*s, 20*s), good(20100*ms, 20100*ms), good(20200*ms, 20200*ms), good(21*s, 21*s), good(22*s, 22*s)},
			"online > degraded > offline > recovering > online", "Spotify steady again for 2s", at(22 * s)},
		{"a failure while recovering goes back offline", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout),
			good(20*s, 20*s), good(21*s, 21*s), status(22*s, 22*s, 500)},
			"online > degraded > offline > recovering > offline", "HTTP 500 Internal Server Error", at(22 * s)},
		{"429 and other calls neither end nor reset a recovery", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout),
			good(20*s, 20*s), status(20500*ms, 20500*ms, 429), {At: at(21 * s), Status: 200}, good(21*s, 21*s), good(22*s, 22*s)},
			"online > degraded > offline > recovering > online", "Spotify steady again for 2s", at(22 * s)},
		{"other calls cannot end an outage", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout),
			{At: at(20 * s), Status: 200}, {At: at(21 * s), Status: 200}, {At: at(22 * s), Status: 200}},
			"online > degraded > offline", "timeout", at(14500 * ms)},
		{"device gone while playing", []Observation{gone(12 * s), gone(12500 * ms), gone(13 * s)},
			"online > degraded > offline", CauseDeviceGone, at(13 * s)},
		{"device back after one poll", []Observation{gone(12 * s), good(12500*ms, 12500*ms)},
			"online > degraded > online", "Spotify answers again", at(12500 * ms)},
		{"device gone while paused", []Observation{paused(12*s, true), paused(14*s, false), paused(16*s, false), paused(18*s, false)},
			"", "", time.Time{}},
		{"no hand-back while the device is gone", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout),
			gone(20 * s), gone(21 * s), gone(22 * s), gone(23 * s)},
			"online > degraded > offline", "timeout", at(14500 * ms)},
		{"device gone while recovering", []Observation{bad(12*s, 13*s, errTimeout), bad(13500*ms, 14500*ms, errTimeout),
			good(20*s, 20*s), gone(21 * s)},
			"online > degraded > offline > recovering > offline", CauseDeviceGone, at(21 * s)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := onlineMonitor(t, Thresholds{})
			ts := feed(m, c.obs...)
			if got := states(ts); got != c.want {
				t.Fatalf("states %q, want %q (transitions %+v)", got, c.want, ts)
			}
			if len(ts) == 0 {
				return
			}
			last := ts[len(ts)-1]
			if last.Cause != c.wantCause || !last.At.Equal(c.wantAt) {
				t.Errorf("last transition %q at %s, want %q at %s", last.Cause, last.At.Sub(t0), c.wantCause, c.wantAt.Sub(t0))
			}
			if m.State() != last.To || m.LastCause() != last.Cause || !m.Since().Equal(last.At) {
				t.Errorf("State/LastCause/Since = %s/%q/%s, want those of %+v", m.State(), m.LastCause(), m.Since().Sub(t0), last)
			}
		})
	}
}

func repeat(n int, f func(i int) Observation) []Observation {
	obs := make([]Observation, n)
	for i := range obs {
		obs[i] = f(i)
	}
	return obs
}

// gone is a poll at d answering without tapedeck's device.
func gone(d time.Duration) Observation {
	return Observation{Started: at(d), At: at(d), Status: 200, Player: &PlayerSnapshot{}}
}

// paused is a paused player at d, its device present or not.
func paused(d time.Duration, present bool) Observation {
	return Observation{Started: at(d), At: at(d), Status: 200, Player: &PlayerSnapshot{
		ProgressMs: 10_000, TrackID: "t1", DeviceID: "d1", DevicePresent: present}}
}

func TestUnknownStart(t *testing.T) {
	m := NewMonitor(Thresholds{})
	if m.State() != Unknown || m.State().Local() {
		t.Fatalf("new monitor %s (local %v), want unknown, not local", m.State(), m.State().Local())
	}
	if got := m.PollInterval(); got != 500*ms {
		t.Errorf("PollInterval while unknown %s, want 500ms", got)
	}
	ts := feed(m, bad(0, s, errTimeout), bad(1500*ms, 2500*ms, errTimeout))
	if got := states(ts); got != "unknown > degraded > offline" {
		t.Fatalf("states %q", got)
	}

	m = NewMonitor(Thresholds{})
	ts = feed(m, status(0, 0, 429), good(s, s))
	if got := states(ts); got != "unknown > online" || ts[0].Cause != "Spotify answers" {
		t.Fatalf("transitions %+v", ts)
	}
}

func TestStateLocal(t *testing.T) {
	for st, want := range map[State]bool{Unknown: false, Online: false, Degraded: false, Offline: true, Recovering: true, NotLinked: true} {
		if st.Local() != want {
			t.Errorf("%s.Local() = %v", st, !want)
		}
	}
}

// goOffline takes m offline with two timeouts starting at d.
func goOffline(t *testing.T, m *Monitor, d time.Duration) time.Duration {
	t.Helper()
	feed(m, bad(d, d+s, errTimeout), bad(d+1500*ms, d+2500*ms, errTimeout))
	if m.State() != Offline {
		t.Fatalf("at %s: state %s, want offline", d, m.State())
	}
	return d + 2500*ms
}

// recoverAt feeds good polls every second from d until the monitor is
// online and returns how long the recovery took.
func recoverAt(t *testing.T, m *Monitor, d time.Duration) time.Duration {
	t.Helper()
	for i := time.Duration(0); i < 5*time.Minute; i += s {
		m.Observe(good(d+i, d+i))
		if m.State() == Online {
			return i
		}
	}
	t.Fatalf("no recovery in 5 minutes")
	return 0
}

func TestFlapDamping(t *testing.T) {
	m := onlineMonitor(t, Thresholds{})
	d := goOffline(t, m, 20*s)
	var took []time.Duration
	for range 8 { // outages 10 s after each hand-back
		r := recoverAt(t, m, d+s)
		took = append(took, r)
		d = goOffline(t, m, d+s+r+10*s)
	}
	want := []time.Duration{2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, 60 * s}
	if fmt.Sprint(took) != fmt.Sprint(want) {
		t.Fatalf("recoveries took %v, want %v", took, want)
	}
	// A quiet spell longer than FlapWindow forgives the past.
	r := recoverAt(t, m, d+s)
	d = goOffline(t, m, d+s+r+2*time.Minute)
	if r := recoverAt(t, m, d+s); r != 2*s {
		t.Errorf("recovery after a quiet spell took %s, want 2s", r)
	}
}

func TestStall(t *testing.T) {
	cases := []struct {
		name     string
		progress func(d time.Duration) (ms int64, playing bool) // the position the device reports at d
		latency  func(i int) time.Duration
		wantAt   time.Duration // when it goes offline; 0: never
	}{
		{"frozen from the start", func(d time.Duration) (int64, bool) { return 5000, true }, nil, 4 * s},
		{"freezes after 10 s", func(d time.Duration) (int64, bool) { return min(d, 10*s).Milliseconds(), true }, nil, 14 * s},
		{"stutters at a third of real time", func(d time.Duration) (int64, bool) { return (d / 3).Milliseconds(), true }, nil, 6 * s},
		{"paused never stalls", func(d time.Duration) (int64, bool) { return 5000, false }, nil, 0},
		{"plays smoothly", func(d time.Duration) (int64, bool) { return d.Milliseconds(), true }, nil, 0},
		{"plays with jittery replies", func(d time.Duration) (int64, bool) { return d.Milliseconds(), true },
			func(i int) time.Duration { return time.Duration((i*7919)%950) * ms }, 0},
		{"buffers 1.5 s once", func(d time.Duration) (int64, bool) {
			switch {
			case d < 10*s:
				return d.Milliseconds(), true
			case d < 11500*ms:
				return 10_000, true
			}
			return (d - 1500*ms).Milliseconds(), true
		}, nil, 0},
		{"buffers 3 s once", bufferOnce(3 * s), nil, 0},
		{"buffers 5 s once", bufferOnce(5 * s), nil, 14 * s},
		{"seeks back and forth", func(d time.Duration) (int64, bool) {
			return (d%(7*s) + (d/(7*s))*30*s).Milliseconds(), true
		}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := NewMonitor(Thresholds{})
			var offlineAt time.Duration
			now := time.Duration(0)
			for i := 0; now < 3*time.Minute && offlineAt == 0; i++ {
				lat := 100 * ms
				if c.latency != nil {
					lat = c.latency(i)
				}
				end := now + lat
				pos, isPlaying := c.progress(end)
				p := &PlayerSnapshot{IsPlaying: isPlaying, ProgressMs: pos, TrackID: "t1", DeviceID: "d1", DevicePresent: true}
				if tr, ok := m.Observe(Observation{Started: at(now), At: at(end), Status: 200, Player: p}); ok && tr.To == Offline {
					offlineAt = end
					if tr.Cause != CauseStalled {
						t.Errorf("cause %q, want %q", tr.Cause, CauseStalled)
					}
				}
				now = end + m.PollInterval()
			}
			if c.wantAt == 0 {
				if offlineAt != 0 {
					t.Fatalf("went offline at %s", offlineAt)
				}
				return
			}
			// Never before StallAfter of playback is lost; polls are fast by
			// then (half of it lost made Spotify suspect).
			if offlineAt <= c.wantAt || offlineAt > c.wantAt+time.Second {
				t.Fatalf("offline at %s, want after %s, by %s", offlineAt, c.wantAt, c.wantAt+time.Second)
			}
		})
	}
}

// bufferOnce plays, freezes for d at 10 s, then plays on.
func bufferOnce(d time.Duration) func(time.Duration) (int64, bool) {
	return func(now time.Duration) (int64, bool) {
		switch {
		case now < 10*s:
			return now.Milliseconds(), true
		case now < 10*s+d:
			return 10_000, true
		}
		return (now - d).Milliseconds(), true
	}
}

func TestStallResetsOnTrackChange(t *testing.T) {
	m := NewMonitor(Thresholds{})
	// Each poll reports a new track at position 0: never a stall.
	for i := range 100 {
		d := time.Duration(i) * 2 * s
		p := &PlayerSnapshot{IsPlaying: true, TrackID: fmt.Sprint("t", i), DeviceID: "d1", DevicePresent: true}
		if tr, ok := m.Observe(Observation{At: at(d), Player: p}); ok && tr.To != Online {
			t.Fatalf("poll %d: %+v", i, tr)
		}
	}
}

func TestPollInterval(t *testing.T) {
	th := DefaultThresholds()
	m := onlineMonitor(t, th)
	if got := m.PollInterval(); got != th.PollEvery {
		t.Errorf("online: %s, want %s", got, th.PollEvery)
	}
	m.Observe(bad(12*s, 13*s, errTimeout))
	if got := m.PollInterval(); got != th.PollFast {
		t.Errorf("degraded: %s, want %s", got, th.PollFast)
	}
	m.Observe(bad(13500*ms, 14500*ms, errTimeout))
	var offline []time.Duration
	for i := range 6 {
		offline = append(offline, m.PollInterval())
		d := 15*s + time.Duration(i)*s
		m.Observe(bad(d, d, errRefused))
	}
	if want := "[1s 2s 4s 8s 15s 15s]"; fmt.Sprint(offline) != want {
		t.Errorf("offline backoff %v, want %s", offline, want)
	}
	m.Observe(good(40*s, 40*s))
	if got := m.PollInterval(); m.State() != Recovering || got != th.PollRecovering {
		t.Errorf("%s: %s, want recovering, %s", m.State(), got, th.PollRecovering)
	}

	m = onlineMonitor(t, th)
	var limited []time.Duration
	for i := range 5 {
		d := 12*s + time.Duration(i)*s
		m.Observe(status(d, d, 429))
		limited = append(limited, m.PollInterval())
	}
	if want := "[2s 4s 8s 15s 15s]"; fmt.Sprint(limited) != want {
		t.Errorf("429 backoff without Retry-After %v, want %s", limited, want)
	}
	m.Observe(Observation{At: at(20 * s), Status: 429, RetryAfter: 40 * s})
	if got := m.PollInterval(); got != 40*s {
		t.Errorf("429 with Retry-After 40s: %s", got)
	}
	m.Observe(good(60*s, 60*s))
	if got := m.PollInterval(); got != th.PollEvery || m.State() != Online {
		t.Errorf("after the 429s: %s %s, want online, %s", m.State(), got, th.PollEvery)
	}
}

func TestExtrapolate(t *testing.T) {
	p := PlayerSnapshot{IsPlaying: true, ProgressMs: 10_000, DurationMs: 12_000}
	cases := []struct {
		name string
		s    PlayerSnapshot
		now  time.Time
		want int64
	}{
		{"playing", p, at(1500 * ms), 11_500},
		{"capped at the end", p, at(5 * s), 12_000},
		{"duration unknown", PlayerSnapshot{IsPlaying: true, ProgressMs: 10_000}, at(5 * s), 15_000},
		{"paused", PlayerSnapshot{ProgressMs: 10_000, DurationMs: 12_000}, at(5 * s), 10_000},
		{"clock before the poll", p, at(-s), 10_000},
	}
	for _, c := range cases {
		if got := Extrapolate(c.s, t0, c.now); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestPosition(t *testing.T) {
	m := NewMonitor(Thresholds{})
	if _, _, ok := m.Position(t0); ok {
		t.Fatal("Position before any snapshot")
	}
	m = onlineMonitor(t, Thresholds{}) // last poll at 10.1 s, position 10.1 s
	goOffline(t, m, 12*s)
	if id, pos, _ := m.Position(at(14500 * ms)); id != "t1" || pos != 14_500 {
		t.Errorf("after a network outage: %s at %d, want t1 at 14500 (extrapolated)", id, pos)
	}

	m = NewMonitor(Thresholds{})
	for d := time.Duration(0); m.State() != Offline; d += 500 * ms {
		m.Observe(Observation{At: at(d), Player: &PlayerSnapshot{IsPlaying: true, ProgressMs: min(d, 3*s).Milliseconds(),
			TrackID: "t1", DeviceID: "d1", DevicePresent: true}})
	}
	if _, pos, _ := m.Position(at(time.Minute)); pos != 3000 {
		t.Errorf("after a stall: %d, want 3000 (where it froze)", pos)
	}
	if snap, when, ok := m.LastPlayer(); !ok || snap.ProgressMs != 3000 || when.IsZero() {
		t.Errorf("LastPlayer %+v %s %v", snap, when, ok)
	}
}

func TestThresholds(t *testing.T) {
	if err := (Thresholds{}).Validate(); err != nil {
		t.Fatalf("zero thresholds: %v", err)
	}
	if got := DefaultThresholds().DetectWithin(); got > 3*s {
		t.Errorf("defaults detect a dead network within %s, want at most 3s", got)
	}
	err := Thresholds{DegradeAfter: 3, OfflineAfter: 2, StallAfter: 500 * ms, PollFast: 5 * s, RecoverFor: -s}.Validate()
	for _, field := range []string{"degrade_after", "stall_after", "poll_fast", "recover_for"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("Validate does not name %s: %v", field, err)
		}
	}
	if got := NewMonitor(Thresholds{OfflineAfter: 3}).Thresholds(); got.OfflineAfter != 3 || got.PollEvery != 2*s {
		t.Errorf("defaults not filled in around a set field: %+v", got)
	}
}

func TestCanceledIsNotAFailure(t *testing.T) {
	m := onlineMonitor(t, Thresholds{})
	for i := range 10 {
		d := 12*s + time.Duration(i)*s
		if tr, ok := m.Observe(bad(d, d, errors.Join(context.Canceled))); ok {
			t.Fatalf("canceled request caused %+v", tr)
		}
	}
}
