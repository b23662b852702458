package failover

import "time"

// Extrapolate is where playback has got to at now, given a snapshot read at
// lastPollAt: its progress plus the time since while playing, capped at the
// track's duration when known.
func Extrapolate(s PlayerSnapshot, lastPollAt, now time.Time) int64 {
	ms := s.ProgressMs
	if s.IsPlaying && now.After(lastPollAt) {
		ms += now.Sub(lastPollAt).Milliseconds()
	}
	if s.DurationMs > 0 && ms > s.DurationMs {
		ms = s.DurationMs
	}
	return ms
}

// LastPlayer is the last player snapshot the poll read (with the device
// present, or paused) and when; ok is false before the first.
func (m *Monitor) LastPlayer() (s PlayerSnapshot, at time.Time, ok bool) {
	return m.last, m.lastAt, m.haveLast
}

// Position is where the local player should resume at now: where the
// Spotify app on this computer really got to, when it knows better than the
// last poll (see AppSnapshot); else the last snapshot extrapolated to now,
// or its position as read if the progress was not keeping up (a stall: the
// listener heard nothing past it). ok is false before the first snapshot.
func (m *Monitor) Position(now time.Time) (trackID string, ms int64, ok bool) {
	if id, ms, ok := m.appPosition(now); ok {
		return id, ms, true
	}
	if !m.haveLast {
		return "", 0, false
	}
	if m.progress.lagging {
		return m.last.TrackID, m.last.ProgressMs, true
	}
	return m.last.TrackID, Extrapolate(m.last, m.lastAt, now), true
}
