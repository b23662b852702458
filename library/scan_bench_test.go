package library

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/internal/fixture"
)

// benchLibrary writes n files (MP3, FLAC and Ogg in turn, three seconds
// each) in an Artist/Album/NN Title layout and returns its root.
func benchLibrary(b *testing.B, n int) string {
	b.Helper()
	root := b.TempDir()
	formats := []string{"mp3", "flac", "ogg"}
	data := map[string][]byte{}
	for _, f := range formats {
		data[f] = fixture.Bytes(b, f, 3000, fixture.Tags{
			Title: "Title", Artists: []string{"Artist"}, Album: "Album", AlbumArtist: "Artist",
			Track: 1, Disc: 1, Date: "2001", Genre: "Rock", ISRC: "GBAYE0601498",
			MBRecordingID: "b1a9c0e9-d987-4042-ae91-78d6a3267d69",
		})
	}
	for i := range n {
		f := formats[i%len(formats)]
		dir := filepath.Join(root, fmt.Sprintf("Artist %03d", i/100), fmt.Sprintf("Album %02d", i/10%10))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%02d Title%s", i%10+1, fixture.Ext(f)))
		if err := os.WriteFile(p, data[f], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

func benchStore(b *testing.B) *cache.Store {
	b.Helper()
	st, err := cache.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkScanCold indexes 1,000 files into a fresh database.
func BenchmarkScanCold(b *testing.B) {
	root := benchLibrary(b, 1000)
	for b.Loop() {
		b.StopTimer()
		st := benchStore(b)
		b.StartTimer()
		res, err := New(st, []string{root}).Scan(context.Background())
		if err != nil || res.Added != 1000 || res.Failed != 0 {
			b.Fatalf("scan: %+v %v", res, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/file")
}

// BenchmarkScanUnchanged rescans 1,000 indexed files that did not change.
func BenchmarkScanUnchanged(b *testing.B) {
	root := benchLibrary(b, 1000)
	st := benchStore(b)
	s := New(st, []string{root})
	if _, err := s.Scan(context.Background()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := s.Scan(context.Background())
		if err != nil || res.Unchanged != 1000 {
			b.Fatalf("rescan: %+v %v", res, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/file")
}
