package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tapedeck/tapedeck/internal/fixture"
)

// TestPlayfileThroughPipe plays two files and a broken one into a regular
// file (the pipe output writes it as fast as it can) and checks the PCM:
// s16le stereo, exactly the two tracks' frames, the broken file skipped.
func TestPlayfileThroughPipe(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	a := fixture.Make(t, dir, "a", "flac", 1000, fixture.Tags{Title: "A"})
	bad := filepath.Join(dir, "broken.ogg")
	if err := os.WriteFile(bad, []byte("OggS but not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := fixture.Make(t, dir, "b", "wav", 500, fixture.Tags{Title: "B"})
	out := filepath.Join(dir, "out.pcm")
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := c.run("playfile", "--output", "pipe:"+out, "--rate", "44100", a, bad, b)
	if err != nil {
		t.Fatalf("playfile: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "Playing a.flac") || !strings.Contains(stdout, "Playing b.wav") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "broken.ogg") {
		t.Errorf("the broken file was not reported:\n%s", stderr)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	const frameBytes = 4 // s16le stereo
	if got, want := fi.Size()/frameBytes, int64(44100*1.5); got != want {
		t.Errorf("%d frames written, want %d (1 s + 0.5 s at 44.1 kHz, gapless)", got, want)
	}
	if _, _, err := c.run("playfile", "--output", "hdmi", a); err == nil || exitCode(err) != 2 {
		t.Errorf("bad --output: %v", err)
	}
	if _, _, err := c.run("playfile", "--output", "pipe:"+out, bad); err == nil || !strings.Contains(err.Error(), "no file could be played") {
		t.Errorf("only a broken file: %v", err)
	}
}
