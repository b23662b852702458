package failover

import "time"

// AppSnapshot is what a Spotify app on this computer (the desktop app, or
// spotifyd) reports over MPRIS at At. Reading it needs no network, so it
// tells whether the app's audio really plays when the Web API cannot say:
//
//   - the Web API fails but the app still plays (from its cache): the music
//     has not stopped, so nothing switches until it does;
//   - the app says Playing but its position is stuck: the listener hears
//     silence, an outage at once, whatever the Web API says;
//   - at a fail-over, where the app really stopped is the position to
//     resume at, and it is the app's own track even if it moved on while
//     the Web API was unreachable.
//
// The app counts only once it has shown it plays what the Web API says
// tapedeck's Spotify playback is (the same track, then any track it moves
// on to while playing), and only once its position has moved on that
// track: some versions of the desktop app report 0 for ever. A desktop app
// that mirrors another Connect device looks the same as one that plays;
// its position then comes from its own clock.
type AppSnapshot struct {
	At      time.Time
	Present bool // an app is on the session bus
	Playing bool // its PlaybackStatus is Playing
	// TrackID is the Spotify id of its track ("" for an ad or unknown).
	TrackID    string
	PositionMs int64
}

// Causes that come from the app.
const (
	CauseAppPlays   = "the Spotify app on this computer still plays"
	CauseAppStalled = "stalled: the Spotify app on this computer plays but its position is stuck"
	causeAppStopped = "the Spotify app's audio stopped"
	causeAppPaused  = "the Spotify app was paused"
	causeAppGone    = "the Spotify app quit"
)

// appWatch is what the Monitor knows of the app.
type appWatch struct {
	have    bool
	present bool
	// The last report with the app present.
	seen     AppSnapshot
	live     bool      // playing, and its position moved since it began
	real     bool      // its position moved on this track: it is not a fixed 0
	movedAt  time.Time // when the position last moved (or the track began)
	movedMs  int64
	trackAt  time.Time // when the app's track began playing
	ours     bool      // it plays tapedeck's Spotify playback
	heldFrom string    // the cause of an outage held off while it played
}

// ObserveApp feeds one report of the app to the state machine. Call it on
// every change and at least every AppStallAfter/4 (a stuck position is
// seen only by reading it again). Like Observe, it returns the transition
// it caused, if any.
func (m *Monitor) ObserveApp(a AppSnapshot) (Transition, bool) {
	m.app.update(a, m)
	if m.state != Online && m.state != Degraded && m.state != Unknown {
		return Transition{}, false
	}
	w := &m.app
	if w.heldFrom != "" && !m.appAudible(a.At) {
		return m.releaseHold(a.At)
	}
	if m.state != Unknown && w.ours && w.live && a.Present && a.Playing && a.At.Sub(w.movedAt) >= m.th.AppStallAfter {
		return m.goDown(Offline, CauseAppStalled, a.At)
	}
	return Transition{}, false
}

func (w *appWatch) update(a AppSnapshot, m *Monitor) {
	prev, had := w.seen, w.have && w.present
	w.have, w.present = true, a.Present
	if !a.Present {
		w.live = false
		return
	}
	w.seen = a
	switch {
	case !a.Playing:
		w.live = false
	case !had || !prev.Playing:
		// Playing from here: its position is real once it moves, and it is
		// ours once a poll agrees.
		if !had || a.TrackID != prev.TrackID {
			w.trackAt, w.real = a.At, false
		}
		w.ours, w.live, w.movedAt, w.movedMs = false, false, a.At, a.PositionMs
	case a.TrackID != prev.TrackID:
		// Moved on while playing: still ours, live and real if it was.
		w.trackAt, w.movedAt, w.movedMs = a.At, a.At, a.PositionMs
	case a.PositionMs != w.movedMs:
		w.live, w.real, w.movedAt, w.movedMs = true, true, a.At, a.PositionMs
	}
	m.appAgree()
}

// appAgree decides whether the app plays tapedeck's Spotify playback, from
// the last player poll: the same track, playing, makes it ours; a poll
// made after the app's track began that plays another track does not.
func (m *Monitor) appAgree() {
	w := &m.app
	if !w.present || !w.seen.Playing || w.seen.TrackID == "" || !m.haveLast {
		return
	}
	switch {
	case m.last.IsPlaying && m.last.TrackID == w.seen.TrackID:
		w.ours = true
	case m.lastAt.After(w.trackAt.Add(m.th.PollTimeout)):
		w.ours = false
	}
}

// appAudible reports that the app is ours and its audio plays at at.
func (m *Monitor) appAudible(at time.Time) bool {
	w := &m.app
	return w.present && w.ours && w.live && w.seen.Playing && at.Sub(w.movedAt) < m.th.AppStallAfter
}

func (m *Monitor) appStopCause() string {
	w := &m.app
	switch {
	case !w.present:
		return causeAppGone
	case !w.seen.Playing:
		return causeAppPaused
	}
	return causeAppStopped
}

// appKnowsBetter reports that the app's last report describes tapedeck's
// Spotify playback and is newer than the last player poll.
func (m *Monitor) appKnowsBetter() bool {
	w := &m.app
	return w.ours && w.seen.TrackID != "" && w.seen.At.After(m.lastAt)
}

// appPosition is where the app's audio got to at now: its last position,
// plus the time since while it still plays. ok is false when the app does
// not know better than the last poll, or its position is not real.
func (m *Monitor) appPosition(now time.Time) (trackID string, ms int64, ok bool) {
	w := &m.app
	if !m.appKnowsBetter() || !w.real {
		return "", 0, false
	}
	ms = w.seen.PositionMs
	if m.appAudible(now) && now.After(w.seen.At) {
		ms += now.Sub(w.seen.At).Milliseconds()
	}
	return w.seen.TrackID, ms, true
}

// WasPlaying reports whether Spotify was playing for the listener when the
// evidence last said: the app's word when it is newer than the last player
// poll (an app paused during an outage was paused by the listener), else
// the last poll's.
func (m *Monitor) WasPlaying() bool {
	if m.appKnowsBetter() {
		return m.app.seen.Playing
	}
	return m.haveLast && m.last.IsPlaying
}
