package failover

import "time"

// PollInterval is how long to wait after the last observation before the
// next player poll: PollEvery while online, PollFast while unknown or
// degraded (to confirm or clear a suspicion quickly), PollRecovering while
// recovering, and a backoff from PollRecovering doubling per failure up to
// PollMax while offline or not linked, or while an outage is held because
// the Spotify app still plays. After a 429 it is at least the
// Retry-After (honoured in full), or without one a backoff from PollEvery
// up to PollMax.
func (m *Monitor) PollInterval() time.Duration {
	d := m.statePollInterval()
	if m.limited > 0 {
		wait := m.retryAfter
		if wait <= 0 {
			wait = backoff(m.th.PollEvery, m.limited, m.th.PollMax)
		}
		d = max(d, wait)
	}
	return d
}

func (m *Monitor) statePollInterval() time.Duration {
	if m.app.heldFrom != "" {
		// An outage the Spotify app plays through: back off as offline;
		// the app, not the poll, tells when its audio stops.
		return backoff(m.th.PollRecovering, m.fails-m.th.OfflineAfter+1, m.th.PollMax)
	}
	switch m.state {
	case Online:
		return m.th.PollEvery
	case Recovering:
		return m.th.PollRecovering
	case Offline, NotLinked:
		return backoff(m.th.PollRecovering, m.downFails, m.th.PollMax)
	default:
		return m.th.PollFast
	}
}

// backoff is base doubled n-1 times, capped.
func backoff(base time.Duration, n int, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
