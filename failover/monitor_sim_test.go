package failover

import (
	"testing"
	"time"
)

// reply is how a simulated poll ends: after took, with err or status.
type reply struct {
	took   time.Duration
	err    error
	status int
}

// simulate runs the daemon's poll loop against a fake network from start
// until end: each poll starts PollInterval after the previous observation,
// net says how it ends, and a poll that would take longer than PollTimeout
// times out. It returns every transition and the start of each poll.
func simulate(m *Monitor, start, end time.Duration, net func(i int, start time.Duration) reply) (ts []Transition, starts []time.Duration) {
	now := start
	for i := 0; now < end; i++ {
		r := net(i, now)
		if r.took >= m.Thresholds().PollTimeout {
			r = reply{took: m.Thresholds().PollTimeout, err: errTimeout}
		}
		o := Observation{Started: at(now), At: at(now + r.took), Err: r.err, Status: r.status}
		if r.err == nil && r.status < 400 {
			o.Status, o.Player = 200, playing(now+r.took)
		}
		if tr, ok := m.Observe(o); ok {
			ts = append(ts, tr)
		}
		starts = append(starts, now)
		now += r.took + m.PollInterval()
	}
	return ts, starts
}

func fine(int, time.Duration) reply { return reply{took: 150 * time.Millisecond} }

// TestDeadNetworkDetectedWithin3s kills the network at every phase of the
// poll cycle, for failures that come at once (refused), after a while
// (a slow DNS failure) or never (black hole: the timeout), and measures
// from the start of the first failed poll to the offline transition.
func TestDeadNetworkDetectedWithin3s(t *testing.T) {
	th := DefaultThresholds()
	promise := th.DetectWithin()
	if promise > 3*time.Second {
		t.Fatalf("DetectWithin %s", promise)
	}
	var worst time.Duration
	for failAfter := time.Duration(0); failAfter <= th.PollTimeout+time.Second; failAfter += 50 * time.Millisecond {
		for phase := time.Duration(0); phase < th.PollEvery; phase += 100 * time.Millisecond {
			m := onlineMonitor(t, th)
			dead := 20*time.Second + phase
			net := func(_ int, start time.Duration) reply {
				if start < dead {
					return fine(0, start)
				}
				return reply{took: failAfter, err: errRefused}
			}
			ts, starts := simulate(m, 12*time.Second, 40*time.Second, net)
			firstFail := time.Duration(-1)
			for _, st := range starts {
				if st >= dead {
					firstFail = st
					break
				}
			}
			var offlineAt time.Duration
			for _, tr := range ts {
				if tr.To == Offline {
					offlineAt = tr.At.Sub(t0)
					break
				}
			}
			if offlineAt == 0 {
				t.Fatalf("fail after %s, phase %s: never offline (%+v)", failAfter, phase, ts)
			}
			took := offlineAt - firstFail
			worst = max(worst, took)
			if took > promise {
				t.Errorf("fail after %s, phase %s: offline %s after the first failed poll started, want at most %s", failAfter, phase, took, promise)
			}
		}
	}
	t.Logf("worst case from the first failed poll's start to offline: %s (promised %s)", worst, promise)
}

// TestFlapping counts, over time, the switches between Spotify and local
// files when the network is unsteady in several patterns.
func TestFlapping(t *testing.T) {
	cases := []struct {
		name         string
		length       time.Duration
		bad          func(i int) bool // whether poll i fails
		maxToLocal   int
		maxHandBacks int
	}{
		{"every other poll times out", time.Minute, func(i int) bool { return i%2 == 1 }, 0, 0},
		{"two in three polls time out", time.Minute, func(i int) bool { return i%3 != 0 }, 1, 0},
		{"one slow reply every 10 polls", 10 * time.Minute, func(i int) bool { return i%10 == 0 }, 0, 0},
		// Outages of two polls between short good spells: the first
		// hand-back happens, then flap damping keeps the music local.
		{"two bad, four good", 10 * time.Minute, func(i int) bool { return i%6 < 2 }, 2, 1},
		{"two bad, ten good", 10 * time.Minute, func(i int) bool { return i%12 < 2 }, 4, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := onlineMonitor(t, Thresholds{})
			ts, _ := simulate(m, 12*time.Second, 12*time.Second+c.length, func(i int, start time.Duration) reply {
				if c.bad(i) {
					return reply{took: time.Second}
				}
				return fine(i, start)
			})
			toLocal, handBacks := 0, 0
			for _, tr := range ts {
				if !tr.From.Local() && tr.To.Local() {
					toLocal++
				}
				if tr.From.Local() && !tr.To.Local() {
					handBacks++
				}
			}
			t.Logf("%d switches to local, %d hand-backs, %d transitions", toLocal, handBacks, len(ts))
			if toLocal > c.maxToLocal || handBacks > c.maxHandBacks {
				t.Errorf("%d switches to local and %d hand-backs in %s, want at most %d and %d", toLocal, handBacks, c.length, c.maxToLocal, c.maxHandBacks)
			}
			// Once the network is steady, the music goes back to Spotify.
			end := ts[len(ts)-1].At.Sub(t0) + time.Second
			simulate(m, end, end+2*time.Minute, fine)
			if m.State() != Online {
				t.Errorf("after two steady minutes: %s", m.State())
			}
		})
	}
}
