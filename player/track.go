package player

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/gopxl/beep/v2"

	"github.com/tapedeck/tapedeck/media"
)

// resampleQuality is beep's Lagrange interpolation order: 4 is transparent
// enough for music and costs little.
const resampleQuality = 4

// track is one file being decoded into the output's format: its decoder,
// a resampler when rates differ, and its ReplayGain factor.
type track struct {
	dec     decoder
	s       beep.Streamer // dec through filler, resampled when rates differ
	gain    float64
	outRate int
	pos     int64 // next output frame
	total   int64 // output frames, or -1 when unknown
}

// trackConfig is what opening a track needs from the engine.
type trackConfig struct {
	rate   int
	rg     ReplayGain
	preamp float64
	ffmpeg string
	// open replaces openDecoder in tests.
	open func(path string, info media.Info, outRate int, ffmpeg string) (decoder, error)
}

func openTrack(t Track, cfg trackConfig) (tr *track, err error) {
	info := t.Info
	if info == nil {
		i, perr := media.Probe(t.Path)
		// A file whose header media cannot read may still decode; its gain
		// and gapless data are then unknown. Broken tags on good audio are fine.
		if perr == nil || errors.Is(perr, media.ErrTags) {
			info = &i
		} else {
			info = &media.Info{}
		}
	}
	open := cfg.open
	if open == nil {
		open = openDecoder
	}
	dec, err := open(t.Path, *info, cfg.rate, cfg.ffmpeg)
	if err != nil {
		return nil, err
	}
	tr = &track{dec: dec, s: dec, gain: gainFactor(*info, cfg.rg, cfg.preamp), outRate: cfg.rate, total: -1}
	if n := dec.length(); n >= 0 {
		tr.total = n * int64(cfg.rate) / int64(dec.rate())
	}
	tr.resetResampler()
	return tr, nil
}

func (t *track) resetResampler() {
	t.s = filler{t.dec}
	if r := t.dec.rate(); r != t.outRate {
		t.s = beep.Resample(resampleQuality, beep.SampleRate(r), beep.SampleRate(t.outRate), t.s)
	}
}

// seek moves to ms milliseconds from the start.
func (t *track) seek(ms int64) (err error) {
	defer recoverDecoder(&err)
	ms = max(ms, 0)
	f := ms * int64(t.dec.rate()) / 1000
	if n := t.dec.length(); n >= 0 {
		f = min(f, n)
	}
	if err := t.dec.seek(f); err != nil {
		return err
	}
	t.pos = f * int64(t.outRate) / int64(t.dec.rate())
	t.resetResampler()
	return nil
}

// read decodes up to len(p) frames with the gain applied. ok is false at the
// end of the track; err is set when the decoder failed or panicked.
func (t *track) read(p [][2]float64) (n int, ok bool, err error) {
	defer recoverDecoder(&err)
	n, ok = t.s.Stream(p)
	if g := t.gain; g != 1 {
		for i := range p[:n] {
			p[i][0] *= g
			p[i][1] *= g
		}
	}
	t.pos += int64(n)
	if !ok {
		if err = t.s.Err(); err == nil {
			err = t.dec.Err()
		}
	}
	return n, ok, err
}

func (t *track) close() {
	defer func() { recover() }()
	t.dec.close()
}

// recoverDecoder turns a decoder panic into an error (a corrupt file must
// never bring the daemon down).
func recoverDecoder(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: decoder panic: %v", ErrDecode, v)
	}
}

// ReplayGain selects which ReplayGain tag adjusts the loudness.
type ReplayGain int

// ReplayGain modes.
const (
	ReplayGainOff ReplayGain = iota
	ReplayGainTrack
	ReplayGainAlbum
)

// ParseReplayGain reads "off", "track" or "album".
func ParseReplayGain(s string) (ReplayGain, error) {
	switch s {
	case "off", "":
		return ReplayGainOff, nil
	case "track":
		return ReplayGainTrack, nil
	case "album":
		return ReplayGainAlbum, nil
	}
	return 0, fmt.Errorf("replaygain %q: want off, track or album", s)
}

func (g ReplayGain) String() string {
	return [...]string{"off", "track", "album"}[g]
}

// gainFactor is the linear factor for the file's ReplayGain in mode, plus
// preamp, lowered when the tagged peak would clip. The chosen mode falls back
// to the other gain when its own is missing; a file with neither is left as
// it is (no preamp), so untagged files do not jump in loudness.
func gainFactor(info media.Info, mode ReplayGain, preampDB float64) float64 {
	if mode == ReplayGainOff {
		return 1
	}
	gain, peak := info.TrackGain, info.TrackPeak
	if mode == ReplayGainAlbum && info.AlbumGain != nil || gain == nil {
		gain, peak = info.AlbumGain, info.AlbumPeak
	}
	if gain == nil {
		return 1
	}
	f := math.Pow(10, (*gain+preampDB)/20)
	if peak != nil && *peak > 0 && f**peak > 1 {
		f = 1 / *peak
	}
	return f
}

func trackName(t Track) string { return filepath.Base(t.Path) }
