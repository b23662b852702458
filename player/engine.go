// Package player plays the listener's own audio files: a queue with the
// usual controls, gapless transitions, ReplayGain, and three outputs
// (ALSA through oto, raw PCM into a pipe for Snapcast, and a null sink).
//
// The Engine has three parts that never wait on each other for long: a
// producer goroutine decodes the queue into chunks of PCM at the output
// rate, a bounded channel of chunks (a few hundred milliseconds) joins it to
// the output, and the output pulls samples at its own pace. Every control
// (seek, next, stop) bumps a generation number: chunks of an older
// generation are dropped by the reader, so controls take effect at once
// without flushing anything by hand. Events go through a queue that drops
// the oldest when nobody reads, so a slow consumer never stalls the audio.
package player

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/tapedeck/tapedeck/media"
)

// Track is one file in the queue.
type Track struct {
	Path string
	// ID is the caller's identifier for the track, echoed in events.
	ID string
	// Info, when set, saves probing the file again (ReplayGain, gapless data).
	Info *media.Info
}

// State is the engine's playback state.
type State int

// States.
const (
	StateStopped State = iota
	StatePlaying
	StatePaused
)

func (s State) String() string {
	return [...]string{"stopped", "playing", "paused"}[s]
}

// Repeat is the repeat mode.
type Repeat int

// Repeat modes.
const (
	RepeatOff Repeat = iota
	RepeatAll
	RepeatOne
)

// ParseRepeat reads "off", "all" or "one".
func ParseRepeat(s string) (Repeat, error) {
	switch s {
	case "off", "":
		return RepeatOff, nil
	case "all":
		return RepeatAll, nil
	case "one":
		return RepeatOne, nil
	}
	return 0, fmt.Errorf("repeat %q: want off, all or one", s)
}

func (r Repeat) String() string { return [...]string{"off", "all", "one"}[r] }

// ErrNoTrack is returned by controls that need a current track when there
// is none, and by Play for an index outside the queue.
var ErrNoTrack = errors.New("no such track")

// Options configure an Engine. Zero values are the defaults.
type Options struct {
	// SampleRate of the output in Hz (default 44100). Files at other rates
	// are resampled.
	SampleRate int
	// ReplayGain mode (default off) and PreampDB added to the tagged gain.
	ReplayGain ReplayGain
	PreampDB   float64
	// Volume at start, 0–100 (default 100).
	Volume *int
	// FFmpeg is the ffmpeg program for AAC, ALAC and Opus (default: "ffmpeg"
	// in PATH).
	FFmpeg string
	// Seed makes shuffle orders reproducible (0: random).
	Seed uint64
	// Logger (default: discard).
	Logger *slog.Logger
	// Now is the clock for event times (default time.Now).
	Now func() time.Time
}

// Status is a snapshot of the engine.
type Status struct {
	State      State
	Index      int // queue position of the current track, -1 when none
	Track      Track
	PositionMs int64
	DurationMs int64 // 0 when unknown
	Volume     int
	Shuffle    bool
	Repeat     Repeat
}

const (
	chunkFrames   = 2048 // frames per chunk: 46 ms at 44.1 kHz
	chunksAhead   = 8    // decoded audio buffered ahead of the output
	primeAhead    = 5    // seconds before a track's end when the next is opened
	restartWithin = 3000 // ms: Previous restarts the track past this point
)

// entry is one queue slot; its identity survives queue edits.
type entry struct {
	t Track
}

// target is what the producer should decode: entry e from ms, for
// generation gen. A nil e means nothing.
type target struct {
	gen  uint64
	e    *entry
	ms   int64
	seek bool // a seek in the same track: no new track-start event
	// splice: e follows the end of the track being heard, whose remaining
	// audio (of an older generation) still plays; see spliceLocked.
	splice bool
}

// Engine plays a queue of tracks through an Output. All methods are safe for
// concurrent use. Controls work before Run; audio flows while Run runs.
type Engine struct {
	out    Output
	cfg    trackConfig
	log    *slog.Logger
	now    func() time.Time
	events *eventQueue

	mu      gosync.Mutex
	queue   []*entry
	order   []*entry // play order: queue, or a shuffled copy
	state   State
	shuffle bool
	repeat  Repeat
	rng     *rand.Rand
	cursor  *entry // the current track (heard, or next to play)
	heard   *entry // the track whose start was reported and not its end
	tgt     target
	changed chan struct{} // closed and replaced on every change
	ahead   []decoding    // what the producer decoded since the output's track, in order
	lastID  uint64        // the last play id given out

	splice   atomic.Pointer[splicePoint] // older audio still to be heard, if any
	reorders atomic.Uint64               // bumped when the successor of a track may change

	gen      atomic.Uint64 // tgt.gen, for the reader
	stateA   atomic.Int32  // state, for the reader
	volume   atomic.Uint64 // float64 bits: linear factor
	pos      atomic.Int64  // frames of cursor consumed by the output
	durMs    atomic.Int64
	chunks   chan *chunk
	wakeProd chan struct{}
	running  atomic.Bool

	readMu gosync.Mutex
	rdCur  *chunk
	rdOff  int
}

// New returns an Engine that plays through out.
func New(out Output, opts Options) *Engine {
	if opts.SampleRate <= 0 {
		opts.SampleRate = 44100
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	e := &Engine{
		out: out,
		cfg: trackConfig{rate: opts.SampleRate, rg: opts.ReplayGain, preamp: opts.PreampDB, ffmpeg: opts.FFmpeg},
		log: opts.Logger, now: opts.Now,
		events:   newEventQueue(1024),
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		changed:  make(chan struct{}),
		chunks:   make(chan *chunk, chunksAhead),
		wakeProd: make(chan struct{}, 1),
	}
	vol := 100
	if opts.Volume != nil {
		vol = *opts.Volume
	}
	e.SetVolume(vol)
	return e
}

// Events delivers what happens, in order. Events are delivered while Run
// runs; when nobody reads, the oldest beyond 1024 are dropped.
func (e *Engine) Events() <-chan Event { return e.events.out }

// SampleRate is the output rate in Hz.
func (e *Engine) SampleRate() int { return e.cfg.rate }

// Run decodes and plays until ctx ends or the output fails; it returns the
// output's error (nil when ctx ended). Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("player: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg gosync.WaitGroup
	wg.Go(func() { e.events.run(ctx.Done()) })
	wg.Go(func() { e.produce(ctx) })
	err := e.out.Play(ctx, source{e})
	cancel()
	wg.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

// SetQueue replaces the queue and stops playback; the first track becomes
// the current one.
func (e *Engine) SetQueue(tracks []Track) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
	e.queue = e.queue[:0:0]
	for _, t := range tracks {
		e.queue = append(e.queue, &entry{t: t})
	}
	e.cursor = nil
	e.rebuildOrderLocked()
	if len(e.order) > 0 {
		e.cursor = e.order[0]
	}
}

// Append adds tracks at the end of the queue (at random places after the
// current track when shuffling).
func (e *Engine) Append(tracks ...Track) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.insertLocked(len(e.queue), tracks, false)
}

// Queue returns the tracks in queue order (not shuffled).
func (e *Engine) Queue() []Track {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts := make([]Track, len(e.queue))
	for i, en := range e.queue {
		ts[i] = en.t
	}
	return ts
}

// Play starts the track at queue position index from its beginning.
func (e *Engine) Play(index int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if index < 0 || index >= len(e.queue) {
		return fmt.Errorf("play %d of %d: %w", index, len(e.queue), ErrNoTrack)
	}
	e.startLocked(e.queue[index], StatePlaying)
	return nil
}

// Pause pauses playback; the position is kept.
func (e *Engine) Pause() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == StatePlaying {
		e.setStateLocked(StatePaused)
	}
}

// Resume continues after Pause, or after a stop starts the current track.
func (e *Engine) Resume() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch e.state {
	case StatePaused:
		e.setStateLocked(StatePlaying)
	case StateStopped:
		if e.cursor == nil {
			return fmt.Errorf("resume: %w", ErrNoTrack)
		}
		e.startLocked(e.cursor, StatePlaying)
	}
	return nil
}

// Stop stops playback; the current track stays current, from its start.
func (e *Engine) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
}

// Next skips to the next track in play order. At the end of the queue with
// repeat off it stops.
func (e *Engine) Next() {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := e.successorLocked(e.cursor, false)
	if next == nil {
		e.stopLocked()
		if len(e.order) > 0 {
			e.cursor = e.order[0]
		}
		return
	}
	e.moveLocked(next)
}

// Previous restarts the current track when more than three seconds have
// played, otherwise goes to the previous track (or restarts the first).
func (e *Engine) Previous() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cursor == nil {
		return
	}
	if e.state != StateStopped && e.positionMsLocked() > restartWithin {
		e.retargetLocked(e.cursor, 0, true)
		return
	}
	prev := e.cursor
	if i := indexOf(e.order, e.cursor); i > 0 {
		prev = e.order[i-1]
	} else if i == 0 && e.repeat == RepeatAll {
		prev = e.order[len(e.order)-1]
	}
	e.moveLocked(prev)
}

// SeekMs moves to ms milliseconds into the current track.
func (e *Engine) SeekMs(ms int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cursor == nil || e.state == StateStopped {
		return fmt.Errorf("seek: %w", ErrNoTrack)
	}
	ms = max(ms, 0)
	// A seek before any of the track was heard (play, then seek at once)
	// starts it: its start is reported as for any other play.
	e.retargetLocked(e.cursor, ms, e.heard == e.cursor)
	e.pos.Store(ms * int64(e.cfg.rate) / 1000)
	return nil
}

// SetVolume sets the software volume, 0–100 (clamped), a linear amplitude
// factor applied as samples leave for the output, so it acts at once.
func (e *Engine) SetVolume(v int) {
	v = min(max(v, 0), 100)
	e.volume.Store(math.Float64bits(float64(v) / 100))
}

// SetShuffle turns shuffle on (a random order after the current track) or
// off (queue order).
func (e *Engine) SetShuffle(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shuffle = on
	e.rebuildOrderLocked()
	e.followEditLocked()
}

// SetRepeat sets the repeat mode.
func (e *Engine) SetRepeat(r Repeat) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.repeat = r
	e.followEditLocked()
}

// Status returns a snapshot of the engine.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := Status{
		State: e.state, Index: -1, Shuffle: e.shuffle, Repeat: e.repeat,
		Volume: int(math.Round(math.Float64frombits(e.volume.Load()) * 100)),
	}
	if e.cursor != nil {
		st.Index = indexOf(e.queue, e.cursor)
		st.Track = e.cursor.t
		st.DurationMs = e.durMs.Load()
		if st.DurationMs == 0 && e.cursor.t.Info != nil {
			st.DurationMs = e.cursor.t.Info.DurationMs
		}
	}
	if e.state != StateStopped {
		st.PositionMs = e.positionMsLocked()
	}
	return st
}

func (e *Engine) positionMsLocked() int64 {
	return e.pos.Load() * 1000 / int64(e.cfg.rate)
}

// startLocked plays en from its start in state st.
func (e *Engine) startLocked(en *entry, st State) {
	e.cursor = en
	e.durMs.Store(0)
	e.pos.Store(0)
	e.retargetLocked(en, 0, false)
	e.setStateLocked(st)
}

// moveLocked makes en current, playing it if the engine is playing or
// paused (staying paused), only selecting it when stopped.
func (e *Engine) moveLocked(en *entry) {
	if e.state == StateStopped {
		e.cursor = en
		return
	}
	e.startLocked(en, e.state)
}

func (e *Engine) stopLocked() {
	e.retargetLocked(nil, 0, false)
	e.pos.Store(0)
	e.setStateLocked(StateStopped)
}

// retargetLocked points the producer at en (nil: nothing) and makes every
// chunk already decoded stale.
func (e *Engine) retargetLocked(en *entry, ms int64, seek bool) {
	if e.heard != nil && !seek {
		e.postLocked(Event{Type: EventTrackEnd, Track: e.heard.t, Index: indexOf(e.queue, e.heard)})
		e.heard = nil
	}
	e.setTargetLocked(target{e: en, ms: ms, seek: seek})
}

// setTargetLocked gives the producer a new target in a new generation.
// Unless it is a splice, every chunk already decoded is stale.
func (e *Engine) setTargetLocked(t target) {
	if !t.splice {
		e.ahead = e.ahead[:0]
		e.splice.Store(nil)
	}
	t.gen = e.tgt.gen + 1
	e.tgt = t
	e.gen.Store(t.gen)
	select {
	case e.wakeProd <- struct{}{}:
	default:
	}
	e.broadcastLocked()
}

func (e *Engine) setStateLocked(s State) {
	if e.state == s {
		return
	}
	e.state = s
	e.stateA.Store(int32(s))
	e.broadcastLocked()
	e.postLocked(Event{Type: EventState, State: s, Index: -1})
}

func (e *Engine) broadcastLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *Engine) changedChan() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

func (e *Engine) postLocked(ev Event) {
	ev.Time = e.now()
	if ev.Type != EventState {
		ev.State = e.state
	}
	e.events.post(ev)
}

// successorLocked is the track after en in play order. natural means en
// played to its end, where repeat-one plays it again; a skip ignores it.
func (e *Engine) successorLocked(en *entry, natural bool) *entry {
	if en == nil || len(e.order) == 0 {
		return nil
	}
	if natural && e.repeat == RepeatOne && indexOf(e.queue, en) >= 0 {
		return en
	}
	i := indexOf(e.order, en)
	switch {
	case i < 0:
		return nil // removed from the queue meanwhile
	case i+1 < len(e.order):
		return e.order[i+1]
	case e.repeat != RepeatOff:
		return e.order[0]
	}
	return nil
}

// rebuildOrderLocked sets the play order: the queue, or with shuffle the
// current track first and the rest in random order.
func (e *Engine) rebuildOrderLocked() {
	e.order = append(e.order[:0:0], e.queue...)
	if !e.shuffle {
		return
	}
	if i := indexOf(e.order, e.cursor); i > 0 {
		e.order[0], e.order[i] = e.order[i], e.order[0]
	}
	rest := e.order
	if e.cursor != nil && len(rest) > 0 {
		rest = rest[1:]
	}
	e.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
}

func indexOf(s []*entry, en *entry) int {
	if en == nil {
		return -1
	}
	for i, x := range s {
		if x == en {
			return i
		}
	}
	return -1
}
