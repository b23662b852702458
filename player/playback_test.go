package player

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/media"
)

// Two tracks back to back produce exactly the samples of each played alone.
func TestGaplessConcatenation(t *testing.T) {
	for _, format := range allFormats {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a := makeAudio(t, dir, format, "sine=frequency=660", 44100, 1000)
			b := makeAudio(t, dir, format, "sine=frequency=880", 44100, 700)
			sa := play(t, Options{}, []Track{{Path: a}}, nil).pcm
			sb := play(t, Options{}, []Track{{Path: b}}, nil).pcm
			both := play(t, Options{}, []Track{{Path: a}, {Path: b}}, nil)
			if got, want := both.pcm.frames(), sa.frames()+sb.frames(); got != want {
				t.Fatalf("%d frames back to back, want %d + %d = %d", got, sa.frames(), sb.frames(), want)
			}
			want := append(append([]float64(nil), sa.l...), sb.l...)
			for i, v := range both.pcm.l {
				if v != want[i] {
					t.Fatalf("frame %d: %v, want %v (the join is at %d)", i, v, want[i], sa.frames())
				}
			}
			if s := ofType(both.events, EventTrackStart); len(s) != 2 || s[0].Index != 0 || s[1].Index != 1 {
				t.Errorf("track starts %v, want indexes 0 then 1", s)
			}
			if e := ofType(both.events, EventTrackEnd); len(e) != 2 || !e[0].Finished || !e[1].Finished {
				t.Errorf("track ends %v, want two finished", e)
			}
		})
	}
}

// One sine cut in two files joins without a click: encoder delay and
// padding are trimmed, and nothing is inserted at the join.
func TestGaplessSplitSine(t *testing.T) {
	for _, format := range []string{"mp3", "flac", "ogg", "m4a-aac", "opus"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			const src = "sine=frequency=440"
			a := makeAudioFilter(t, dir, format, src, 44100, 2000, "atrim=end_sample=44100,asetpts=PTS-STARTPTS")
			b := makeAudioFilter(t, dir, format, src, 44100, 2000, "atrim=start_sample=44100,asetpts=PTS-STARTPTS")
			got := play(t, Options{}, []Track{{Path: a}, {Path: b}}, nil).pcm
			if d := got.frames() - 88200; d < -50 || d > 50 {
				t.Errorf("%d frames, want 88200 ± 50", got.frames())
			}
			// ffmpeg's sine has amplitude 1/8, spread at -3 dB on two
			// channels: its steepest step between samples is 0.0055; a gap
			// or a lost piece jumps up to 0.18.
			join := 44100
			if format == "opus" {
				join = got.frames() / 2
			}
			var worst float64
			for i := join - 200; i < join+200; i++ {
				worst = max(worst, math.Abs(got.l[i+1]-got.l[i]))
			}
			if worst > 0.02 {
				t.Errorf("step of %.4f around the join (a sine step is at most 0.0078)", worst)
			}
			if a := peak(got.l[join-300 : join+300]); a < 0.08 {
				t.Errorf("peak %.3f around the join: silence inserted", a)
			}
		})
	}
}

// Seeking lands within 50 ms: the audio after the seek is found in the
// whole track's audio by matching a chirp (a pitch that never repeats).
func TestSeek(t *testing.T) {
	const src = "aevalsrc=0.5*sin(2*PI*(100*t+150*t*t))|0.5*sin(2*PI*(100*t+150*t*t))"
	const seekMs = 1700
	for _, format := range allFormats {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			path := makeAudio(t, t.TempDir(), format, src, 44100, 3000)
			whole := play(t, Options{}, []Track{{Path: path}}, nil).pcm
			res := play(t, Options{}, []Track{{Path: path}}, func(e *Engine) {
				if err := e.SeekMs(seekMs); err != nil {
					t.Fatal(err)
				}
				if p := e.Status().PositionMs; p != seekMs {
					t.Errorf("position %d ms after the seek, want %d", p, seekMs)
				}
			})
			got := res.pcm
			// Played then sought at once: the track's start is still told.
			if s := ofType(res.events, EventTrackStart); len(s) != 1 || s[0].Index != 0 {
				t.Errorf("track starts %v, want one, of entry 0", s)
			}
			at := bestMatch(whole.l, got.l[:2048])
			if ms := float64(at) * 1000 / 44100; math.Abs(ms-seekMs) > 50 {
				t.Errorf("seek landed at %.1f ms, want %d ± 50", ms, seekMs)
			}
			if d := got.frames() - (whole.frames() - at); d < -2205 || d > 2205 {
				t.Errorf("%d frames after the seek, want about %d", got.frames(), whole.frames()-at)
			}
		})
	}
}

// bestMatch is the offset in x where y fits best (least squares).
func bestMatch(x, y []float64) int {
	best, at := math.Inf(1), -1
	for k := 0; k+len(y) <= len(x); k++ {
		var d float64
		for i, v := range y {
			e := x[k+i] - v
			d += e * e
			if d >= best {
				break
			}
		}
		if d < best {
			best, at = d, k
		}
	}
	return at
}

func TestVolumeScalesAmplitude(t *testing.T) {
	path := makeAudio(t, t.TempDir(), "flac", "sine=frequency=660", 44100, 500)
	full := rms(play(t, Options{}, []Track{{Path: path}}, nil).pcm.l)
	for _, vol := range []int{40, 0} {
		got := rms(play(t, Options{}, []Track{{Path: path}}, func(e *Engine) { e.SetVolume(vol) }).pcm.l)
		if want := full * float64(vol) / 100; math.Abs(got-want) > full*0.005 {
			t.Errorf("volume %d: rms %.4f, want %.4f", vol, got, want)
		}
	}
	v := 250
	e := New(&Null{}, Options{Volume: &v})
	if got := e.Status().Volume; got != 100 {
		t.Errorf("volume 250 clamped to %d, want 100", got)
	}
}

func TestReplayGain(t *testing.T) {
	for _, format := range []string{"mp3", "flac", "opus"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			plain := fixture.Make(t, dir, "plain", format, 500, fixture.Tags{})
			quiet := fixture.Make(t, dir, "quiet", format, 500, fixture.Tags{TrackGain: "-6.00 dB", TrackPeak: "0.125"})
			loud := fixture.Make(t, dir, "loud", format, 500, fixture.Tags{TrackGain: "+20.00 dB", TrackPeak: "0.25"})
			ref := rms(play(t, Options{}, []Track{{Path: plain}}, nil).pcm.l)
			cases := []struct {
				name string
				path string
				opts Options
				want float64 // factor
			}{
				{"off", quiet, Options{ReplayGain: ReplayGainOff}, 1},
				{"track", quiet, Options{ReplayGain: ReplayGainTrack}, math.Pow(10, -6.0/20)},
				{"preamp", quiet, Options{ReplayGain: ReplayGainTrack, PreampDB: 2}, math.Pow(10, -4.0/20)},
				{"album falls back to track", quiet, Options{ReplayGain: ReplayGainAlbum}, math.Pow(10, -6.0/20)},
				{"clipping prevented by the peak", loud, Options{ReplayGain: ReplayGainTrack}, 4},
				{"untagged", plain, Options{ReplayGain: ReplayGainTrack, PreampDB: 6}, 1},
			}
			for _, c := range cases {
				got := rms(play(t, c.opts, []Track{{Path: c.path}}, nil).pcm.l)
				if math.Abs(got/ref-c.want) > c.want*0.01 {
					t.Errorf("%s: gain %.4f, want %.4f", c.name, got/ref, c.want)
				}
			}
		})
	}
}

func TestGainFactor(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	info := media.Info{TrackGain: f(-3), TrackPeak: f(0.5), AlbumGain: f(-9), AlbumPeak: f(0.9)}
	if got, want := gainFactor(info, ReplayGainAlbum, 0), math.Pow(10, -9.0/20); math.Abs(got-want) > 1e-9 {
		t.Errorf("album: %v, want %v", got, want)
	}
	if got, want := gainFactor(info, ReplayGainTrack, 1), math.Pow(10, -2.0/20); math.Abs(got-want) > 1e-9 {
		t.Errorf("track + 1 dB: %v, want %v", got, want)
	}
	if got := gainFactor(media.Info{AlbumGain: f(-6)}, ReplayGainTrack, 0); math.Abs(got-math.Pow(10, -6.0/20)) > 1e-9 {
		t.Errorf("track mode without a track gain: %v, want the album gain", got)
	}
}

// A truncated, a corrupt, a vanished file and one whose decoder panics are
// skipped with an error event; the next track plays in full.
func TestBadFilesSkipped(t *testing.T) {
	dir := t.TempDir()
	a := makeAudio(t, dir, "mp3", "sine=frequency=440", 44100, 500)
	last := makeAudio(t, dir, "wav", "sine=frequency=880", 44100, 500)
	full, err := os.ReadFile(makeAudio(t, dir, "flac", "sine=frequency=660", 44100, 2000))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.flac")
	if err := os.WriteFile(truncated, full[:len(full)*4/10], 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.ogg")
	if err := os.WriteFile(corrupt, []byte("OggS this is not a vorbis stream at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	panics := filepath.Join(dir, "panics.mp3")
	if err := os.WriteFile(panics, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	vanished := filepath.Join(dir, "vanished.flac")
	tracks := []Track{{Path: a}, {Path: truncated}, {Path: corrupt}, {Path: vanished}, {Path: panics}, {Path: last}}
	solo := play(t, Options{}, []Track{{Path: last}}, nil).pcm
	start := time.Now()
	got := play(t, Options{}, tracks, func(e *Engine) {
		e.cfg.open = func(path string, info media.Info, rate int, ffmpeg string) (decoder, error) {
			if path == panics {
				return panicky{}, nil
			}
			return openDecoder(path, info, rate, ffmpeg)
		}
	})
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	failed := map[string]bool{}
	for _, ev := range ofType(got.events, EventError) {
		failed[ev.Track.Path] = true
		t.Logf("error event: %v", ev.Err)
	}
	for _, p := range []string{truncated, corrupt, vanished, panics} {
		if !failed[p] {
			t.Errorf("no error event for %s", filepath.Base(p))
		}
	}
	if failed[a] || failed[last] {
		t.Errorf("error event for a good file")
	}
	// The last track plays in full: the output ends with its samples.
	tail := got.pcm.l[got.pcm.frames()-solo.frames():]
	for i, v := range solo.l {
		if tail[i] != v {
			t.Fatalf("last track differs at frame %d", i)
		}
	}
	starts := ofType(got.events, EventTrackStart)
	if len(starts) == 0 || starts[0].Track.Path != a || starts[len(starts)-1].Track.Path != last {
		t.Errorf("track starts %v", starts)
	}
}

// panicky is a decoder that panics when read.
type panicky struct{}

func (panicky) Stream([][2]float64) (int, bool) { panic("boom") }
func (panicky) Err() error                      { return nil }
func (panicky) rate() int                       { return 44100 }
func (panicky) seek(int64) error                { return nil }
func (panicky) length() int64                   { return 44100 }
func (panicky) close() error                    { return nil }

// A bad file costs no time: with a real-time output the whole queue takes
// the length of its good tracks, far under the 2 s allowed per bad file.
func TestBadFileSkippedQuickly(t *testing.T) {
	dir := t.TempDir()
	a := makeAudio(t, dir, "flac", "sine=frequency=440", 44100, 300)
	bad := filepath.Join(dir, "bad.mp3")
	if err := os.WriteFile(bad, []byte("not audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &Null{Realtime: true}
	e := New(out, Options{})
	e.SetQueue([]Track{{Path: a}, {Path: bad}, {Path: a}})
	e.Play(0)
	start := time.Now()
	evs := runUntilStopped(t, e, 20*time.Second)
	if d := time.Since(start); d > 600*time.Millisecond+2*time.Second {
		t.Errorf("queue took %v", d)
	}
	if n := len(ofType(evs, EventError)); n != 1 {
		t.Errorf("%d error events, want 1", n)
	}
	if out.Frames != 2*13230 {
		t.Errorf("%d frames consumed, want %d", out.Frames, 2*13230)
	}
}
