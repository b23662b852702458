package failover

import "time"

// verdictKind is what one observation says, before the state is considered.
type verdictKind uint8

const (
	healthy   verdictKind = iota // the poll answered and the player is fine
	reachable                    // another call answered
	answered                     // 429, 401, another 4xx: Spotify is there, the player unknown
	failed                       // no answer, a 5xx, or the device gone
	lagging                      // playing, position over StallAfter/2 behind the clock
	stalled                      // playing, position over StallAfter behind the clock
	revoked                      // invalid_grant
)

type verdict struct {
	kind   verdictKind
	cause  string
	status int
}

// Causes that do not come from Classify.
const (
	CauseLoginRevoked = "login revoked (invalid_grant): run `tapedeck login`"
	CauseDeviceGone   = "device gone"
	CauseStalled      = "stalled: playing but progress not advancing"
	CauseLagging      = "progress falling behind"
)

func (m *Monitor) judge(o Observation) verdict {
	if o.LoginRevoked {
		return verdict{kind: revoked, cause: CauseLoginRevoked}
	}
	if o.Err != nil || o.Status >= 400 {
		cause, outage := Classify(o.Err, o.Status)
		if outage {
			return verdict{kind: failed, cause: cause, status: o.Status}
		}
		return verdict{kind: answered, cause: cause, status: o.Status}
	}
	if o.Player == nil {
		return verdict{kind: reachable}
	}
	return m.judgePlayer(o.At, o.Player)
}

func (m *Monitor) judgePlayer(at time.Time, p *PlayerSnapshot) verdict {
	up := m.state == Unknown || m.state == Online || m.state == Degraded
	if !p.DevicePresent {
		m.progress.reset()
		// Gone while it played, or while tapedeck waits to hand back to it.
		// The last snapshot is kept, so it stays "playing" until it returns.
		if !up || (m.haveLast && m.last.IsPlaying) {
			return verdict{kind: failed, cause: CauseDeviceGone}
		}
		m.remember(at, p)
		return verdict{kind: healthy}
	}
	m.remember(at, p)
	if !p.IsPlaying {
		m.progress.reset()
		return verdict{kind: healthy}
	}
	switch m.progress.observe(at, p, m.th.StallAfter) {
	case progressStalled:
		return verdict{kind: stalled, cause: CauseStalled}
	case progressLagging:
		return verdict{kind: lagging, cause: CauseLagging}
	}
	return verdict{kind: healthy}
}

func (m *Monitor) remember(at time.Time, p *PlayerSnapshot) {
	m.last, m.lastAt, m.haveLast = *p, at, true
	m.appAgree()
}

func (m *Monitor) noteRateLimit(v verdict, o Observation) {
	if v.kind == answered && v.status == 429 {
		m.limited++
		m.retryAfter = o.RetryAfter
		return
	}
	m.limited, m.retryAfter = 0, 0
}

type progressKind uint8

const (
	progressOnTime progressKind = iota
	progressLagging
	progressStalled
)

type sample struct {
	at time.Time
	ms int64
}

// progress remembers recent (time, position) samples of the track playing,
// to tell whether the position keeps up with the clock. Measuring how far
// it fell behind over a window, rather than between two polls, lets reply
// jitter and a short buffering pass while catching a frozen position and a
// stutter (silences adding up) alike.
type progress struct {
	track, device string
	ring          [16]sample
	n, head       int // head is the newest sample
	lagging       bool
}

func (p *progress) reset() { p.n, p.lagging = 0, false }

// observe adds a playing snapshot. It is stalled when the position fell
// more than stallAfter behind the clock within the last 2×stallAfter, and
// lagging past half that.
func (p *progress) observe(at time.Time, s *PlayerSnapshot, stallAfter time.Duration) progressKind {
	if p.n == 0 || s.TrackID != p.track || s.DeviceID != p.device || p.jumped(at, s.ProgressMs, stallAfter) {
		p.restart(at, s)
		return progressOnTime
	}
	window := 2 * stallAfter
	base := p.base(at, window)
	behind := at.Sub(base.at) - time.Duration(s.ProgressMs-base.ms)*time.Millisecond
	p.add(at, s.ProgressMs, window/time.Duration(len(p.ring)/2))
	p.lagging = behind > stallAfter/2
	switch {
	case behind > stallAfter:
		return progressStalled
	case p.lagging:
		return progressLagging
	}
	return progressOnTime
}

// jumped reports a seek, a restart of the track, or time going backwards:
// the samples so far no longer describe the playback. Moves within
// tolerance of the clock are reply jitter, not seeks.
func (p *progress) jumped(at time.Time, ms int64, tolerance time.Duration) bool {
	last := p.ring[p.head]
	elapsed := at.Sub(last.at)
	moved := time.Duration(ms-last.ms) * time.Millisecond
	return elapsed < 0 || moved < -tolerance || moved > elapsed+tolerance
}

func (p *progress) restart(at time.Time, s *PlayerSnapshot) {
	p.track, p.device = s.TrackID, s.DeviceID
	p.n, p.head, p.lagging = 1, 0, false
	p.ring[0] = sample{at: at, ms: s.ProgressMs}
}

// add keeps a sample unless the newest is closer than spacing, so that the
// ring covers two windows however often the player is polled.
func (p *progress) add(at time.Time, ms int64, spacing time.Duration) {
	if at.Sub(p.ring[p.head].at) < spacing {
		return
	}
	p.head = (p.head + 1) % len(p.ring)
	p.ring[p.head] = sample{at: at, ms: ms}
	p.n = min(p.n+1, len(p.ring))
}

// base is the newest sample at least window old, or the oldest one.
func (p *progress) base(at time.Time, window time.Duration) sample {
	i := p.head
	for k := 0; k < p.n; k++ {
		if at.Sub(p.ring[i].at) >= window {
			return p.ring[i]
		}
		if k < p.n-1 {
			i = (i - 1 + len(p.ring)) % len(p.ring)
		}
	}
	return p.ring[i]
}
