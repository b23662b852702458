package failover

import (
	"errors"
	"fmt"
	"time"
)

// Thresholds tune detection, hysteresis and the poll's pace. Zero fields
// take the value from DefaultThresholds.
type Thresholds struct {
	// DegradeAfter failures in a row make Spotify suspect (faster polls).
	DegradeAfter int
	// OfflineAfter failures in a row declare an outage, once they span at
	// least MinOutage from the first one's start: calls failing together on
	// one network blip count once.
	OfflineAfter int
	MinOutage    time.Duration
	// StallAfter is how far a playing track's position may fall behind the
	// clock (one silence, or a stutter's adding up) within 2×StallAfter
	// before that is a stall. Half of it makes Spotify suspect.
	StallAfter time.Duration
	// AppStallAfter is how long the Spotify app on this computer may say
	// Playing with its position not moving before that is a stall. Its
	// position is read locally, without a network's jitter, so it can be
	// shorter than StallAfter.
	AppStallAfter time.Duration
	// RecoverAfter good polls in a row, spanning at least RecoverFor, end an
	// outage. An outage starting within FlapWindow of the last hand-back
	// doubles RecoverFor for its own recovery, up to MaxRecoverFor.
	RecoverAfter  int
	RecoverFor    time.Duration
	FlapWindow    time.Duration
	MaxRecoverFor time.Duration
	// PollTimeout bounds one player poll (the daemon's per-request timeout;
	// no retries: the Monitor is the retry policy).
	PollTimeout time.Duration
	// PollEvery is the poll interval while online; PollFast while unknown or
	// degraded; PollRecovering while recovering and as the first backoff
	// step while offline, doubling per failure up to PollMax. PollMax also
	// caps the backoff after 429s without Retry-After.
	PollEvery      time.Duration
	PollFast       time.Duration
	PollRecovering time.Duration
	PollMax        time.Duration
}

// DefaultThresholds detect a dead network within 2.5 s of the first failed
// poll's start (1 s timeout, 0.5 s pause, 1 s timeout) and a refused
// connection within 1 s, never switch on one slow reply, and hand back after
// 3 good polls over 2 s.
func DefaultThresholds() Thresholds {
	return Thresholds{
		DegradeAfter:   1,
		OfflineAfter:   2,
		MinOutage:      time.Second,
		StallAfter:     4 * time.Second,
		AppStallAfter:  3 * time.Second,
		RecoverAfter:   3,
		RecoverFor:     2 * time.Second,
		FlapWindow:     time.Minute,
		MaxRecoverFor:  time.Minute,
		PollTimeout:    time.Second,
		PollEvery:      2 * time.Second,
		PollFast:       500 * time.Millisecond,
		PollRecovering: time.Second,
		PollMax:        15 * time.Second,
	}
}

func (th Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&th.DegradeAfter, d.DegradeAfter)
	setInt(&th.OfflineAfter, d.OfflineAfter)
	setInt(&th.RecoverAfter, d.RecoverAfter)
	setDur(&th.MinOutage, d.MinOutage)
	setDur(&th.StallAfter, d.StallAfter)
	setDur(&th.AppStallAfter, d.AppStallAfter)
	setDur(&th.RecoverFor, d.RecoverFor)
	setDur(&th.FlapWindow, d.FlapWindow)
	setDur(&th.MaxRecoverFor, d.MaxRecoverFor)
	setDur(&th.PollTimeout, d.PollTimeout)
	setDur(&th.PollEvery, d.PollEvery)
	setDur(&th.PollFast, d.PollFast)
	setDur(&th.PollRecovering, d.PollRecovering)
	setDur(&th.PollMax, d.PollMax)
	return th
}

// Validate returns every inconsistent field at once, each named, after
// filling in defaults.
func (th Thresholds) Validate() error {
	th = th.withDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	for name, v := range map[string]int{"degrade_after": th.DegradeAfter, "offline_after": th.OfflineAfter, "recover_after": th.RecoverAfter} {
		if v < 0 {
			bad(name, "is %d: use 1 or more", v)
		}
	}
	if th.DegradeAfter > th.OfflineAfter {
		bad("degrade_after", "is %d, more than offline_after (%d)", th.DegradeAfter, th.OfflineAfter)
	}
	if th.StallAfter < th.PollTimeout {
		bad("stall_after", "is %s: use at least poll_timeout (%s), or reply jitter looks like a stall", th.StallAfter, th.PollTimeout)
	}
	if th.MaxRecoverFor < th.RecoverFor {
		bad("max_recover_for", "is %s: use at least recover_for (%s)", th.MaxRecoverFor, th.RecoverFor)
	}
	if th.PollFast > th.PollEvery {
		bad("poll_fast", "is %s: use at most poll_every (%s)", th.PollFast, th.PollEvery)
	}
	if th.PollMax < th.PollEvery {
		bad("poll_max", "is %s: use at least poll_every (%s)", th.PollMax, th.PollEvery)
	}
	for name, v := range map[string]time.Duration{"min_outage": th.MinOutage, "stall_after": th.StallAfter,
		"app_stall_after": th.AppStallAfter,
		"recover_for":     th.RecoverFor, "flap_window": th.FlapWindow,
		"poll_timeout": th.PollTimeout, "poll_every": th.PollEvery, "poll_fast": th.PollFast,
		"poll_recovering": th.PollRecovering} {
		if v < 0 {
			bad(name, "is %s: use a positive duration", v)
		}
	}
	return errors.Join(errs...)
}

// DetectWithin is the longest time from the start of the first failed poll
// to the offline transition when every poll fails, each after d (0 for a
// refused connection, PollTimeout for a black-holed network), and polls
// follow PollInterval. It is what the thresholds promise; tests check the
// Monitor keeps the promise.
func (th Thresholds) DetectWithin() time.Duration {
	th = th.withDefaults()
	var worst time.Duration
	for d := time.Duration(0); d <= th.PollTimeout; d += th.PollTimeout / 100 {
		worst = max(worst, th.detect(d))
	}
	return worst
}

func (th Thresholds) detect(d time.Duration) time.Duration {
	// at is when failure i ends; the loop is bounded because Validate has
	// not necessarily run.
	var at time.Duration
	for i := 1; i < 10000; i++ {
		at += d
		if i >= th.OfflineAfter && at >= th.MinOutage {
			return at
		}
		if i >= th.DegradeAfter {
			at += th.PollFast
		} else {
			at += th.PollEvery
		}
	}
	return at
}
