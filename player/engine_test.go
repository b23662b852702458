package player

import (
	"fmt"
	"math"
	"testing"
)

// Every format decodes to the declared number of samples, at the right
// pitch and output rate, with no leading silence (encoder delay trimmed).
func TestFormatsDecode(t *testing.T) {
	const durMs, freq = 1500, 660.0
	for _, rate := range []int{44100, 48000} {
		for _, format := range allFormats {
			t.Run(fmt.Sprintf("%s/%d", format, rate), func(t *testing.T) {
				t.Parallel()
				path := makeAudio(t, t.TempDir(), format, fmt.Sprintf("sine=frequency=%g", freq), 44100, durMs)
				got := play(t, Options{SampleRate: rate}, []Track{{Path: path}}, nil)
				want := durMs * rate / 1000
				// Lossless and trimmed formats are exact up to resampling;
				// AAC is cut at its millisecond duration.
				tol := 2
				if format == "m4a-aac" {
					tol = rate / 1000
				}
				if d := got.pcm.frames() - want; d < -tol || d > tol {
					t.Errorf("%d frames, want %d ± %d", got.pcm.frames(), want, tol)
				}
				if f := frequency(got.pcm.l, rate); math.Abs(f-freq) > freq*0.002 {
					t.Errorf("left channel at %.2f Hz, want %g", f, freq)
				}
				if f := frequency(got.pcm.r, rate); math.Abs(f-freq) > freq*0.002 {
					t.Errorf("right channel at %.2f Hz, want %g", f, freq)
				}
				// ffmpeg's sine has amplitude 1/8: the first 3 ms must
				// already carry it (no encoder delay left in).
				if a := peak(got.pcm.l[:rate*3/1000]); a < 0.08 {
					t.Errorf("first 3 ms peak at %.3f: leading silence", a)
				}
				if s := ofType(got.events, EventTrackStart); len(s) != 1 {
					t.Errorf("%d track starts, want 1", len(s))
				}
				if e := ofType(got.events, EventError); len(e) != 0 {
					t.Errorf("errors: %v", e[0].Err)
				}
			})
		}
	}
}

func peak(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}
