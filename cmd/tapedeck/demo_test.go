package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/media"
)

// TestDemoToneIsReadable: the demo's generated WAV files carry the tags
// and duration the matcher needs.
func TestDemoToneIsReadable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tone.wav")
	if err := writeToneWAV(p, 440, 2*time.Second, "Concert A", "Tapedeck Demo", "ZZDEM2600003"); err != nil {
		t.Fatal(err)
	}
	info, err := media.Probe(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Title != "Concert A" || len(info.Artists) != 1 || info.Artists[0] != "Tapedeck Demo" || info.ISRC != "ZZDEM2600003" || info.DurationMs != 2000 {
		t.Errorf("info = %+v", info)
	}
}

// TestDemo runs `tapedeck demo` with the null output: the newcomer must see
// the fail-over to the local copy and the hand-back, in that order.
func TestDemo(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("demo", "--output", "null")
	steps := []string{"4 of 4 tracks have a local copy", "Playing \"Demo Road Trip\" on Spotify", "Cutting Spotify off",
		"tapedeck plays your own copy of \"Low Hum\"", "source local", "Spotify is back", "Handed back to Spotify", "Outage:"}
	rest := out
	for _, s := range steps {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("demo output lacks %q (in order):\n%s", s, out)
		}
		rest = rest[i+len(s):]
	}
}
