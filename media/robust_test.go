package media_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/media"
)

// readBounded runs Read and fails if it takes too long.
func readBounded(t *testing.T, data []byte, ext string) (media.Info, error) {
	t.Helper()
	start := time.Now()
	info, err := media.Read(bytes.NewReader(data), int64(len(data)), ext)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Read took %v on %d bytes", d, len(data))
	}
	return info, err
}

func TestEmptyAndRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ext := range []string{"mp3", "flac", "ogg", "opus", "wav", "m4a"} {
		_, err := readBounded(t, nil, ext)
		if !errors.Is(err, media.ErrMalformed) {
			t.Errorf("%s: empty: err = %v, want ErrMalformed", ext, err)
		}
		for _, n := range []int{1, 10, 200, 5000, 100000} {
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			if _, err := readBounded(t, data, ext); err == nil {
				t.Errorf("%s: %d random bytes: no error", ext, n)
			}
		}
	}
}

func TestTruncated(t *testing.T) {
	for _, format := range fixture.Formats {
		data := fixture.Bytes(t, format, 1000, fullTags)
		ext := fixture.Ext(format)
		for _, n := range []int{4, 10, 27, 50, 100, 400, 1000, 4000} {
			if n >= len(data) {
				continue
			}
			// Cut inside the headers: must be an error (never a panic).
			info, err := readBounded(t, data[:n], ext)
			if err == nil && info.DurationMs <= 0 {
				t.Errorf("%s cut at %d: no error and no duration", format, n)
			}
		}
		// Cut inside the audio: either an error or a sane result.
		for _, frac := range []int{2, 3} {
			n := len(data) * (frac - 1) / frac
			info, err := readBounded(t, data[:n], ext)
			if err == nil && (info.DurationMs <= 0 || info.DurationMs > 1100) {
				t.Errorf("%s cut at %d/%d: DurationMs = %d", format, frac-1, frac, info.DurationMs)
			}
		}
	}
}

func TestBitFlips(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, format := range fixture.Formats {
		orig := fixture.Bytes(t, format, 1000, fullTags)
		ext := fixture.Ext(format)
		for range 300 {
			data := bytes.Clone(orig)
			for range 1 + rng.IntN(4) {
				i := rng.IntN(min(len(data), 2048))
				data[i] ^= 1 << rng.IntN(8)
			}
			if info, err := readBounded(t, data, ext); err == nil && info.DurationMs > 1000*3600*24 {
				t.Errorf("%s: absurd duration %d", format, info.DurationMs)
			}
		}
	}
}

// TestHugeClaims checks that sizes claimed by headers do not drive
// allocations: a 16-byte ID3 header claiming 256 MB, a FLAC block
// claiming 16 MB, an MP4 box claiming 4 GB.
func TestHugeClaims(t *testing.T) {
	cases := map[string][]byte{
		"mp3":  append([]byte("ID3\x04\x00\x00\x7f\x7f\x7f\x7fTIT2\x7f\x7f\x7f\x7f\x00\x00"), make([]byte, 64)...),
		"flac": []byte("fLaC\x00\xff\xff\xff"),
		"m4a":  []byte("\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00\xff\xff\xff\xffmoov"),
		"wav":  []byte("RIFF\xff\xff\xff\xffWAVELIST\xff\xff\xff\xffINFO"),
	}
	for ext, data := range cases {
		if _, err := readBounded(t, data, ext); err == nil {
			t.Errorf("%s: no error", ext)
		}
	}
}

func FuzzRead(f *testing.F) {
	exts := []string{"mp3", "flac", "ogg", "opus", "wav", "m4a"}
	f.Fuzz(func(t *testing.T, data []byte, extIdx uint8) {
		ext := exts[int(extIdx)%len(exts)]
		info, err := media.Read(bytes.NewReader(data), int64(len(data)), ext)
		if err != nil && !errors.Is(err, media.ErrMalformed) && !errors.Is(err, media.ErrTags) {
			t.Fatalf("error matches neither ErrMalformed nor ErrTags: %v", err)
		}
		if err == nil && info.DurationMs <= 0 {
			t.Fatalf("no error but DurationMs = %d", info.DurationMs)
		}
	})
}

var writeSeeds = flag.Bool("write-seeds", false, "regenerate the FuzzRead seed corpus in testdata/fuzz/FuzzRead")

// TestWriteSeeds regenerates the fuzz seed corpus from fixtures: each file
// keeps its headers and tags and loses most of its audio payload.
func TestWriteSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-seeds to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exts := map[string]uint8{"mp3": 0, "flac": 1, "ogg": 2, "opus": 3, "wav": 4, "m4a-aac": 5, "m4a-alac": 5}
	for _, format := range fixture.Formats {
		data := fixture.Bytes(t, format, 1000, fullTags)
		for i, seed := range shrink(format, data) {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint8(%d)\n", seed, exts[format])
			name := filepath.Join(dir, fmt.Sprintf("seed-%s-%d", format, i))
			if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// shrink returns small versions of a fixture: its head, and for formats
// that read the tail, its head joined to its tail.
func shrink(format string, data []byte) [][]byte {
	const head, tail = 3000, 3000
	if len(data) <= head+tail {
		return [][]byte{data}
	}
	out := [][]byte{data[:head]}
	switch format {
	case "ogg", "opus":
		out = append(out, append(bytes.Clone(data[:head]), data[len(data)-tail:]...))
	case "m4a-aac", "m4a-alac":
		// Keep the moov box (at the end) with a shortened mdat before it.
		i := bytes.LastIndex(data, []byte("moov")) - 4
		out = append(out, append(bytes.Clone(data[:head]), data[i:]...))
	}
	return out
}
