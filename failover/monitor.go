// Package failover decides, from what the Spotify Web API answers, whether
// Spotify is playing for the listener, so the daemon knows when to switch to
// local files and when to hand back.
//
// A Monitor is a pure state machine: it has no goroutines and no clock of
// its own. Each request the daemon makes to the Web API, and above all the
// player poll (GET /me/player), becomes an Observation carrying its own
// times; Observe returns the transition it caused, if any, with its cause:
//
//	unknown ──► online ◄──► degraded ──► offline ──► recovering ──► online
//	                 └──────────────────────┘  ▲          │
//	                                           └──────────┘ (any failure)
//	any state ──► not_linked (invalid_grant) ──► recovering ──► online
//
// Online: Spotify answers and the device plays (or is paused by the
// listener). Degraded: a failure or a lagging progress made Spotify suspect;
// polls speed up but nothing switches. Offline: an outage; the music comes
// from local files. Recovering: Spotify answers again; the music stays local
// until it has answered well for long enough. NotLinked: Spotify refused
// tapedeck's login (invalid_grant); the music goes on locally and the
// listener is told to run `tapedeck login`.
//
// What counts as a failure: an error with no answer (DNS, connection refused
// or reset, TLS, timeout), an HTTP 5xx, and the device the music was playing
// on vanishing. A 429, a 401 (the transport has already refreshed the token
// once and retried) or another 4xx is an answer from Spotify: it ends a run
// of failures but says nothing about the player. A stall, Spotify reporting
// "playing" while the position falls StallAfter behind the clock, is an
// outage at once: the listener has been hearing silence.
//
// Hysteresis, so that one slow reply never switches and an unsteady network
// does not switch back and forth: going offline takes OfflineAfter failures
// in a row spanning at least MinOutage (several calls failing together on
// one blip count once); handing back takes RecoverAfter good polls spanning
// at least RecoverFor, and each outage that starts within FlapWindow of the
// previous hand-back doubles RecoverFor, up to MaxRecoverFor.
//
// With the defaults (a 1 s poll timeout, polls every 2 s online and every
// 0.5 s once suspect, 2 failures over at least 1 s), a black-holed network
// is offline 2.5 s after the first failed poll started (timeout, pause,
// timeout) and a refused connection after 1 s; one slow reply only makes
// Spotify suspect. Counted from the moment the network dies, add up to one
// online interval (2 s). A stall is 4 s of playback lost within 8 s: a
// Connect device's buffering at a track start or a seek passes, a frozen or
// stuttering device does not.
//
// Time comes only from the observations, so tests replay hours of polls
// without sleeping. A Monitor is not safe for concurrent use: one
// goroutine (the poll loop) owns it, and other callers send it their
// observations.
package failover

import (
	"context"
	"errors"
	"time"
)

// State is where the Monitor thinks Spotify is.
type State string

// The states. Unknown holds until the first observation.
const (
	Unknown    State = "unknown"
	Online     State = "online"
	Degraded   State = "degraded"
	Offline    State = "offline"
	Recovering State = "recovering"
	NotLinked  State = "not_linked"
)

// Local reports whether the music should come from local files in s.
// Recovering is local: the hand-back waits for Online.
func (s State) Local() bool { return s == Offline || s == Recovering || s == NotLinked }

// Transition is a change of state and why it happened, for the event stream
// and the log. From == To is a change of cause only (see ObserveApp).
type Transition struct {
	From  State     `json:"from"`
	To    State     `json:"to"`
	Cause string    `json:"cause"`
	At    time.Time `json:"at"`
}

// PlayerSnapshot is the part of GET /me/player (and of the device list)
// that outage detection needs.
type PlayerSnapshot struct {
	IsPlaying  bool
	ProgressMs int64
	// DurationMs caps extrapolation; 0 if unknown.
	DurationMs int64
	TrackID    string
	DeviceID   string
	// DevicePresent says the device tapedeck hands playback back to is
	// available (listed in /me/player/devices). Without it an outage cannot
	// end, and its vanishing while it played is a failure.
	DevicePresent bool
}

// Observation is the outcome of one Web API request.
type Observation struct {
	// Started is when the request was sent (zero: same as At). An outage's
	// length is counted from the start of its first failed request, since
	// the network had been failing to answer since then.
	Started time.Time
	// At is when the answer or the error came.
	At time.Time
	// Err is the request's error (nil if Spotify answered, whatever the
	// status). context.Canceled is ignored: tapedeck gave up, not Spotify.
	Err error
	// Status is the HTTP status of the answer, 0 if none came. 0 with a nil
	// Err counts as success.
	Status int
	// RetryAfter is a 429's Retry-After.
	RetryAfter time.Duration
	// LoginRevoked is set when refreshing the token failed with
	// invalid_grant (sync.ErrLoginRequired).
	LoginRevoked bool
	// Player is the player state the poll read; nil for other calls, which
	// can show that Spotify answers but cannot end an outage.
	Player *PlayerSnapshot
}

// Monitor is the outage state machine. The zero value is not usable; call
// NewMonitor.
type Monitor struct {
	th    Thresholds
	state State
	since time.Time
	cause string

	// The current run of failures while up.
	fails     int
	failStart time.Time
	// Good polls since the outage ended, and when the first came.
	oks     int
	okStart time.Time
	// Failures while offline, for the poll backoff.
	downFails int
	// Flap damping.
	recoverFor   time.Duration
	lastHandBack time.Time
	// 429s in a row and the last Retry-After.
	limited    int
	retryAfter time.Duration

	progress progress
	last     PlayerSnapshot
	lastAt   time.Time
	haveLast bool

	app appWatch // the Spotify app on this computer, over MPRIS
}

// NewMonitor returns a Monitor in state Unknown. Zero fields of th take
// their defaults (DefaultThresholds); th should have passed Validate.
func NewMonitor(th Thresholds) *Monitor {
	th = th.withDefaults()
	return &Monitor{th: th, state: Unknown, recoverFor: th.RecoverFor}
}

// State is the current state.
func (m *Monitor) State() State { return m.state }

// Since is when the current state began (zero while Unknown).
func (m *Monitor) Since() time.Time { return m.since }

// LastCause is the cause of the last transition: why the Monitor is in its
// current state.
func (m *Monitor) LastCause() string { return m.cause }

// Thresholds are the thresholds in use, defaults filled in.
func (m *Monitor) Thresholds() Thresholds { return m.th }

// Observe feeds one request's outcome to the state machine and returns the
// transition it caused. An observation causes at most one transition; From
// is the state before it (unknown can go straight to offline, for example).
func (m *Monitor) Observe(o Observation) (Transition, bool) {
	if o.Started.IsZero() || o.Started.After(o.At) {
		o.Started = o.At
	}
	if o.Err != nil && errors.Is(o.Err, context.Canceled) {
		return Transition{}, false
	}
	v := m.judge(o)
	m.noteRateLimit(v, o)
	switch m.state {
	case Offline, NotLinked:
		return m.observeDown(o, v)
	case Recovering:
		return m.observeRecovering(o, v)
	default:
		return m.observeUp(o, v)
	}
}

// observeUp handles Unknown, Online and Degraded.
func (m *Monitor) observeUp(o Observation, v verdict) (Transition, bool) {
	switch v.kind {
	case revoked:
		return m.goDown(NotLinked, v.cause, o.At)
	case stalled:
		if m.appAudible(o.At) { // the app's own position says it plays
			m.fails = 0
			return m.move(Degraded, v.cause+"; "+CauseAppPlays, o.At)
		}
		return m.goDown(Offline, v.cause, o.At)
	case failed:
		if m.fails == 0 {
			m.failStart = o.Started
		}
		m.fails++
		if m.fails >= m.th.OfflineAfter && o.At.Sub(m.failStart) >= m.th.MinOutage {
			if m.appAudible(o.At) {
				return m.hold(v.cause, o.At)
			}
			if m.app.heldFrom != "" {
				return m.releaseHold(o.At)
			}
			return m.goDown(Offline, v.cause, o.At)
		}
		if m.fails >= m.th.DegradeAfter {
			return m.move(Degraded, v.cause, o.At)
		}
	case answered:
		m.fails, m.app.heldFrom = 0, ""
	case lagging:
		m.fails, m.app.heldFrom = 0, ""
		return m.move(Degraded, v.cause, o.At)
	case healthy, reachable:
		m.fails, m.app.heldFrom = 0, ""
		if m.state == Unknown {
			return m.move(Online, "Spotify answers", o.At)
		}
		if m.state == Degraded && !m.progress.lagging {
			return m.move(Online, "Spotify answers again", o.At)
		}
	}
	return Transition{}, false
}

// hold keeps Spotify degraded rather than offline while the app still
// plays: ObserveApp declares the outage when its audio stops. The first
// hold is a transition with From == To, so its cause reaches the status.
func (m *Monitor) hold(cause string, at time.Time) (Transition, bool) {
	if m.app.heldFrom != "" {
		return Transition{}, false
	}
	m.app.heldFrom = cause
	cause += "; " + CauseAppPlays
	t := Transition{From: m.state, To: Degraded, Cause: cause, At: at}
	m.state, m.cause = Degraded, cause
	if t.From != Degraded {
		m.since = at
	}
	return t, true
}

// releaseHold declares the outage a hold kept back, now that the app's
// audio stopped.
func (m *Monitor) releaseHold(at time.Time) (Transition, bool) {
	cause := m.app.heldFrom + "; " + m.appStopCause()
	m.app.heldFrom = ""
	return m.goDown(Offline, cause, at)
}

// observeDown handles Offline and NotLinked.
func (m *Monitor) observeDown(o Observation, v verdict) (Transition, bool) {
	switch v.kind {
	case revoked:
		return m.move(NotLinked, v.cause, o.At)
	case failed, stalled:
		m.downFails++
	case healthy:
		m.downFails = 0
		m.oks, m.okStart = 1, o.At
		if m.recovered(o.At) {
			return m.handBack(o.At)
		}
		cause := "Spotify answers again"
		if m.state == NotLinked {
			cause = "Spotify accepts the login again"
		}
		return m.move(Recovering, cause, o.At)
	}
	return Transition{}, false
}

func (m *Monitor) observeRecovering(o Observation, v verdict) (Transition, bool) {
	switch v.kind {
	case revoked:
		return m.move(NotLinked, v.cause, o.At)
	case failed, stalled:
		m.oks, m.downFails = 0, 1
		return m.move(Offline, v.cause, o.At)
	case lagging:
		m.oks = 0
	case healthy:
		if m.oks == 0 {
			m.okStart = o.At
		}
		m.oks++
		if m.recovered(o.At) {
			return m.handBack(o.At)
		}
	}
	return Transition{}, false
}

func (m *Monitor) recovered(at time.Time) bool {
	return m.oks >= m.th.RecoverAfter && at.Sub(m.okStart) >= m.recoverFor
}

func (m *Monitor) handBack(at time.Time) (Transition, bool) {
	m.lastHandBack = at
	m.oks, m.fails = 0, 0
	return m.move(Online, "Spotify steady again for "+m.recoverFor.String(), at)
}

// goDown starts an outage, lengthening the next recovery if the last one
// was recent (flap damping).
func (m *Monitor) goDown(to State, cause string, at time.Time) (Transition, bool) {
	if !m.lastHandBack.IsZero() && at.Sub(m.lastHandBack) < m.th.FlapWindow {
		m.recoverFor = min(2*m.recoverFor, m.th.MaxRecoverFor)
	} else {
		m.recoverFor = m.th.RecoverFor
	}
	m.fails, m.oks, m.downFails = 0, 0, 1
	return m.move(to, cause, at)
}

func (m *Monitor) move(to State, cause string, at time.Time) (Transition, bool) {
	if to == m.state {
		return Transition{}, false
	}
	t := Transition{From: m.state, To: to, Cause: cause, At: at}
	m.state, m.since, m.cause = to, at, cause
	return t, true
}
