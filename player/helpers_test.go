package player

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"
)

// codecs maps a fixture format to ffmpeg's encoder and file extension.
var codecs = map[string]struct{ codec, ext string }{
	"mp3":      {"libmp3lame", ".mp3"},
	"flac":     {"flac", ".flac"},
	"ogg":      {"libvorbis", ".ogg"},
	"opus":     {"libopus", ".opus"},
	"wav":      {"pcm_s16le", ".wav"},
	"m4a-aac":  {"aac", ".m4a"},
	"m4a-alac": {"alac", ".m4a"},
}

var allFormats = []string{"mp3", "flac", "ogg", "opus", "wav", "m4a-aac", "m4a-alac"}

var (
	genMu  gosync.Mutex
	genDir string
)

// makeAudio encodes the ffmpeg lavfi source src (e.g. "sine=frequency=660")
// at rate for durMs into format, once per test binary, and returns a fresh
// copy in dir.
func makeAudio(t testing.TB, dir, format, src string, rate, durMs int) string {
	t.Helper()
	return makeAudioFilter(t, dir, format, src, rate, durMs, "")
}

// makeAudioFilter is makeAudio with an ffmpeg audio filter (-af) applied.
func makeAudioFilter(t testing.TB, dir, format, src string, rate, durMs int, af string) string {
	t.Helper()
	c, ok := codecs[format]
	if !ok {
		t.Fatalf("unknown format %q", format)
	}
	if format == "opus" {
		rate = 48000 // Opus has no 44.1 kHz mode
	}
	key := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%d|%s", format, src, rate, durMs, af))
	genMu.Lock()
	defer genMu.Unlock()
	if genDir == "" {
		d, err := os.MkdirTemp("", "tapedeck-player-")
		if err != nil {
			t.Fatal(err)
		}
		genDir = d
	}
	cached := filepath.Join(genDir, hex.EncodeToString(key[:8])+c.ext)
	if _, err := os.Stat(cached); err != nil {
		lavfi := fmt.Sprintf("%s:sample_rate=%d:duration=%.3f", src, rate, float64(durMs)/1000)
		if len(src) > 9 && src[:9] == "aevalsrc=" {
			lavfi = fmt.Sprintf("%s:s=%d:d=%.3f", src, rate, float64(durMs)/1000)
		}
		args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", lavfi,
			"-ac", "2", "-c:a", c.codec, "-map_metadata", "-1"}
		if af != "" {
			args = append(args, "-af", af)
		}
		if format == "mp3" {
			args = append(args, "-b:a", "192k")
		}
		out, err := exec.Command("ffmpeg", append(args, cached)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(cached)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%x%s", format, key[:4], c.ext))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(speakerHelper())
	}
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

// pcm is decoded s16 stereo output.
type pcm struct {
	l, r []float64 // per channel, scaled to [-1, 1]
	rate int
}

func (p pcm) frames() int { return len(p.l) }

func readS16(t testing.TB, path string, rate int) pcm {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s: %d bytes, not whole s16 stereo frames", path, len(b))
	}
	p := pcm{rate: rate}
	for i := 0; i+4 <= len(b); i += 4 {
		p.l = append(p.l, float64(int16(binary.LittleEndian.Uint16(b[i:])))/32767)
		p.r = append(p.r, float64(int16(binary.LittleEndian.Uint16(b[i+2:])))/32767)
	}
	return p
}

// frequency estimates the pitch of x from its rising zero crossings,
// interpolated between samples.
func frequency(x []float64, rate int) float64 {
	var first, last float64
	n := 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			at := float64(i-1) + -x[i-1]/(x[i]-x[i-1])
			if n == 0 {
				first = at
			}
			last = at
			n++
		}
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) * float64(rate) / (last - first)
}

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

// played is what one run of the engine produced.
type played struct {
	pcm    pcm
	events []Event
}

// play runs an engine over tracks into a pipe output backed by a regular
// file (as fast as the decoders go) until the queue ends.
func play(t testing.TB, opts Options, tracks []Track, setup func(*Engine)) played {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.raw")
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e := New(&Pipe{Path: out}, opts)
	e.SetQueue(tracks)
	if err := e.Play(0); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(e)
	}
	evs := runUntilStopped(t, e, 60*time.Second)
	return played{pcm: readS16(t, out, e.SampleRate()), events: evs}
}

// runUntilStopped runs e until it reports the stopped state, collecting
// events.
func runUntilStopped(t testing.TB, e *Engine, limit time.Duration) []Event {
	t.Helper()
	return runFor(t, e, limit, func(Event) bool { return false })
}

// runFor runs e for at most limit, calling on for each event until it
// returns true or the engine stops; it returns the events seen.
func runFor(t testing.TB, e *Engine, limit time.Duration, on func(Event) bool) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	var evs []Event
	for {
		select {
		case ev := <-e.Events():
			evs = append(evs, ev)
			if on(ev) || ev.Type == EventState && ev.State == StateStopped {
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				return evs
			}
		case err := <-done:
			t.Fatalf("Run returned before the queue ended: %v (events %v)", err, evs)
		}
	}
}

func ofType(evs []Event, typ EventType) []Event {
	var out []Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func writeEmpty(path string) error { return os.WriteFile(path, nil, 0o644) }

func typeName(v any) string { return fmt.Sprintf("%T", v) }
