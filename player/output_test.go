package player

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runSpeakerHelper plays path through the real oto/ALSA code in a child
// process whose HOME holds asoundrc.
func runSpeakerHelper(t *testing.T, asoundrc, path string) (int, string) {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".asoundrc"), []byte(asoundrc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HOME="+home, helperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// The speaker output plays through ALSA: an ALSA "file" device records
// what oto wrote (float32 stereo), which must be the track.
func TestSpeakerALSA(t *testing.T) {
	dir := t.TempDir()
	path := makeAudio(t, dir, "flac", "sine=frequency=660", 44100, 1000)
	raw := filepath.Join(dir, "alsa.raw")
	rc := `pcm.!default { type file slave.pcm "null" file "` + raw + `" format "raw" }`
	code, stderr := runSpeakerHelper(t, rc, path)
	if code != helperOK {
		t.Fatalf("helper exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	// An ALSA null device takes samples far faster than real time, so the
	// engine falls behind and oto fills the gaps with silence: what ALSA got,
	// less its silent frames, must be exactly the track's samples, in order.
	var alsa [][2]float32
	for i := 0; i+8 <= len(b); i += 8 {
		f := [2]float32{math.Float32frombits(binary.LittleEndian.Uint32(b[i:])), math.Float32frombits(binary.LittleEndian.Uint32(b[i+4:]))}
		if f != [2]float32{} {
			alsa = append(alsa, f)
		}
	}
	want := decodeAll(t, path)
	if len(alsa) != len(want) {
		t.Fatalf("ALSA got %d frames of sound, want %d", len(alsa), len(want))
	}
	for i := range want {
		if alsa[i] != want[i] {
			t.Fatalf("frame %d: ALSA got %v, want %v", i, alsa[i], want[i])
		}
	}
	var l []float64
	for _, f := range alsa {
		l = append(l, float64(f[0]))
	}
	if f := frequency(l, 44100); math.Abs(f-660) > 1 {
		t.Errorf("ALSA got %.2f Hz, want 660", f)
	}
}

// decodeAll is the track's non-silent frames as the engine makes them.
func decodeAll(t *testing.T, path string) [][2]float32 {
	t.Helper()
	tr, err := openTrack(Track{Path: path}, trackConfig{rate: 44100})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	var out [][2]float32
	buf := make([][2]float64, 4096)
	for {
		n, ok, err := tr.read(buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range buf[:n] {
			if g := [2]float32{float32(f[0]), float32(f[1])}; g != [2]float32{} {
				out = append(out, g)
			}
		}
		if !ok {
			return out
		}
	}
}

// With no usable sound device the speaker says so instead of playing
// nothing in silence.
func TestSpeakerDeadDevice(t *testing.T) {
	path := makeAudio(t, t.TempDir(), "flac", "sine=frequency=660", 44100, 1000)
	code, stderr := runSpeakerHelper(t, `pcm.!default { type hw card 42 }
pcm.!sysdefault { type hw card 42 }
`, path)
	if code != helperDead {
		t.Fatalf("helper exit %d, want %d (dead output): %s", code, helperDead, stderr)
	}
	if !strings.Contains(stderr, "audio output is not working") || !strings.Contains(stderr, "snd_pcm_open") {
		t.Errorf("message does not say what failed: %s", stderr)
	}
}

// fakeDevice stands for oto: ready at once, its error settable, and a
// player that reads until stop is closed.
type fakeDevice struct {
	ready chan struct{}
	err   error
	stop  chan struct{}
}

func (d *fakeDevice) Ready() <-chan struct{} { return d.ready }
func (d *fakeDevice) Err() error             { return d.err }
func (d *fakeDevice) Suspend() error         { return nil }
func (d *fakeDevice) Resume() error          { return nil }
func (d *fakeDevice) NewPlayer(r io.Reader) devicePlayer {
	return &fakePlayer{r: r, stop: d.stop}
}

type fakePlayer struct {
	r    io.Reader
	stop chan struct{}
	done chan struct{}
}

func (p *fakePlayer) Play() {
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(time.Millisecond):
				p.r.Read(buf)
			}
		}
	}()
}
func (p *fakePlayer) Err() error   { return nil }
func (p *fakePlayer) Close() error { <-p.done; return nil }

func TestSpeakerStalledDevice(t *testing.T) {
	dev := &fakeDevice{ready: make(chan struct{}), stop: make(chan struct{})}
	close(dev.ready)
	sp := &Speaker{StallTimeout: 200 * time.Millisecond,
		device: func(int, time.Duration) (audioDevice, error) { return dev, nil }}
	e := New(sp, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("Run ended while the device consumed: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	close(dev.stop) // the device stops taking samples
	if err := <-done; !errors.Is(err, ErrOutputDead) {
		t.Fatalf("Run: %v, want ErrOutputDead", err)
	}
}

func TestSpeakerDeviceError(t *testing.T) {
	dev := &fakeDevice{ready: make(chan struct{}), stop: make(chan struct{}), err: errors.New("oto: ALSA error at snd_pcm_open: no such device")}
	close(dev.ready)
	defer close(dev.stop)
	sp := &Speaker{device: func(int, time.Duration) (audioDevice, error) { return dev, nil }}
	err := New(sp, Options{}).Run(context.Background())
	if !errors.Is(err, ErrOutputDead) || !strings.Contains(err.Error(), "no such device") {
		t.Fatalf("Run: %v", err)
	}
}

// With no reader on the FIFO the engine neither blocks nor rushes: the
// queue plays out in about real time, to nobody.
func TestPipeFIFONoReader(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "snapfifo")
	path := makeAudio(t, dir, "flac", "sine=frequency=660", 44100, 500)
	e := New(&Pipe{Path: fifo}, Options{})
	e.SetQueue([]Track{{Path: path}})
	e.Play(0)
	start := time.Now()
	runUntilStopped(t, e, 10*time.Second)
	if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
		t.Errorf("0.5 s of audio took %v with no reader, want about real time", d)
	}
	if st, err := os.Stat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is not a FIFO: %v", fifo, err)
	}
}

// A reader attached to the FIFO gets every frame, aligned.
func TestPipeFIFOReader(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "snapfifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	path := makeAudio(t, dir, "flac", "sine=frequency=660", 44100, 1000)
	got := make(chan []byte, 1)
	ready := make(chan struct{})
	go func() {
		f, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
		close(ready)
		if err != nil {
			got <- nil
			return
		}
		f.SetReadDeadline(time.Now().Add(10 * time.Second))
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for b.Len() < 44100*4 {
			n, err := f.Read(buf)
			b.Write(buf[:n])
			if err != nil && !errors.Is(err, io.EOF) {
				break
			}
		}
		f.Close()
		got <- b.Bytes()
	}()
	<-ready
	e := New(&Pipe{Path: fifo}, Options{})
	e.SetQueue([]Track{{Path: path}})
	e.Play(0)
	runUntilStopped(t, e, 10*time.Second)
	b := <-got
	if len(b) != 44100*4 {
		t.Fatalf("reader got %d bytes, want %d", len(b), 44100*4)
	}
	var l []float64
	for i := 0; i < len(b); i += 4 {
		l = append(l, float64(int16(binary.LittleEndian.Uint16(b[i:])))/32767)
	}
	if f := frequency(l, 44100); math.Abs(f-660) > 1 {
		t.Errorf("reader got %.2f Hz, want 660", f)
	}
}

func TestParseOutput(t *testing.T) {
	for spec, want := range map[string]string{"speaker": "*player.Speaker", "null": "*player.Null", "pipe:/tmp/x": "*player.Pipe"} {
		o, err := ParseOutput(spec)
		if err != nil || typeName(o) != want {
			t.Errorf("%q: %v %v", spec, typeName(o), err)
		}
	}
	for _, bad := range []string{"", "pipe:", "alsa", "Speaker"} {
		if _, err := ParseOutput(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
