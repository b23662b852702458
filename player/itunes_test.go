package player

import (
	"math"
	"testing"

	"github.com/tapedeck/tapedeck/internal/fixture"
)

// An iTunes AAC file declares its priming in iTunSMPB alone, with no edit
// list; ffmpeg reads iTunSMPB too, so it plays exactly as the same audio
// with an edit list: no priming silence at the start (a gap between
// tracks of a gapless album), the same samples, the same length; and a
// seek lands on the same audio. (Without iTunSMPB such a file would start
// with 1,024 samples of priming.)
func TestITunesPrimingTrimmed(t *testing.T) {
	dir := t.TempDir()
	tags := fixture.Tags{Title: "T", ITunSMPB: true}
	edited := fixture.Make(t, dir, "edited", "m4a-aac", 1500, tags)
	itunes := fixture.Make(t, dir, "itunes", "m4a-aac-itunes", 1500, tags)

	want := play(t, Options{}, []Track{{Path: edited}}, nil).pcm
	got := play(t, Options{}, []Track{{Path: itunes}}, nil).pcm
	if got.frames() != want.frames() {
		t.Fatalf("%d frames, want %d as with an edit list", got.frames(), want.frames())
	}
	if d := maxDiff(got.l, want.l); d > 1e-4 {
		t.Errorf("samples differ from the edit-list twin by up to %.4f (priming left in?)", d)
	}
	if a := peak(got.l[:256]); a < 0.05 {
		t.Errorf("peak %.3f in the first 256 frames: priming silence at the start", a)
	}

	seekTo := func(e *Engine) {
		if err := e.SeekMs(700); err != nil {
			t.Fatal(err)
		}
	}
	wantS := play(t, Options{}, []Track{{Path: edited}}, seekTo).pcm
	gotS := play(t, Options{}, []Track{{Path: itunes}}, seekTo).pcm
	n := min(4096, gotS.frames(), wantS.frames())
	if d := maxDiff(gotS.l[:n], wantS.l[:n]); d > 0.01 {
		t.Errorf("after a seek the samples differ from the edit-list twin by up to %.4f", d)
	}
}

func maxDiff(a, b []float64) float64 {
	var worst float64
	for i := range min(len(a), len(b)) {
		worst = max(worst, math.Abs(a[i]-b[i]))
	}
	return worst
}
