package match

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/media"
)

func openStore(tb testing.TB) *cache.Store {
	tb.Helper()
	st, err := cache.Open(context.Background(), filepath.Join(tb.TempDir(), "t.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func localTrack(i int, title, artist string, ms int64, isrc string) cache.LocalTrack {
	return cache.LocalTrack{Path: fmt.Sprintf("/music/%05d.flac", i), Size: 1, MtimeNs: 1, ReaderVersion: 1,
		Info: media.Info{Format: "flac", Codec: "flac", DurationMs: ms, Title: title, Artists: []string{artist}, Album: "Album", ISRC: isrc}}
}

func syncedTrack(i int, title, artist string, ms int64, isrc string) *cache.SpotifyTrack {
	return &cache.SpotifyTrack{ID: fmt.Sprintf("sp%05d", i), URI: fmt.Sprintf("spotify:track:sp%05d", i), Kind: "track",
		Name: title, Artists: []cache.Artist{{ID: "ar", Name: artist}}, AlbumName: "Album", DurationMs: ms, ISRC: isrc}
}

// seed indexes n local files and a playlist of m Spotify tracks, the first
// half of which have a local copy (every third by ISRC, the rest by text).
func seed(tb testing.TB, st *cache.Store, n, m int) {
	tb.Helper()
	ctx := context.Background()
	var b cache.Batch
	for i := range n {
		isrc := ""
		if i%3 == 0 {
			isrc = fmt.Sprintf("GBAAA%07d", i)
		}
		b.Upsert = append(b.Upsert, localTrack(i, fmt.Sprintf("Song Number %d", i), fmt.Sprintf("Artist %d", i%500), int64(200_000+i%1000), isrc))
	}
	if err := st.Apply(ctx, b); err != nil {
		tb.Fatal(err)
	}
	var items []cache.PlaylistItem
	for j := range m {
		i := j
		if j >= m/2 {
			i = n + j // no such file
		}
		isrc := ""
		if i%3 == 0 {
			isrc = fmt.Sprintf("GBAAA%07d", i)
		}
		items = append(items, cache.PlaylistItem{Position: j, Track: syncedTrack(i, fmt.Sprintf("Song Number %d", i), fmt.Sprintf("Artist %d", i%500), int64(200_500+i%1000), isrc)})
	}
	if err := st.ReplacePlaylist(ctx, cache.Playlist{ID: "p", Kind: "playlist", Name: "P", Readable: true}, items); err != nil {
		tb.Fatal(err)
	}
}

func matchedCount(tb testing.TB, st *cache.Store) int {
	tb.Helper()
	ps, err := st.Playlists(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return ps[0].Playable
}

// TestIncrementalEqualsFull adds, changes and removes files and playlist
// tracks, rematching incrementally, and checks the result equals a full
// rematch of the same data.
func TestIncrementalEqualsFull(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	seed(t, st, 300, 100)
	m := NewRematcher(st)
	res, err := m.Run(ctx, false) // first run: everything is dirty
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 100 || res.Matched != 50 {
		t.Fatalf("first rematch %+v, want 50 of 100", res)
	}
	if res, _ = m.Run(ctx, false); res.Checked != 0 {
		t.Errorf("nothing changed, yet %d tracks rematched", res.Checked)
	}

	// A file for a missing track arrives; a matched file is removed; a
	// matched file's tags change to another song.
	arrive := localTrack(300+60, "Song Number 360", "Artist 360", 200_860, "")
	err = st.Apply(ctx, cache.Batch{
		Upsert: []cache.LocalTrack{arrive, localTrack(10, "Another Song", "Someone Else", 100_000, "")},
		Delete: []string{localTrack(20, "Song Number 20", "Artist 20", 0, "").Path},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err = m.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked == 0 || res.Checked > 10 {
		t.Errorf("incremental rematch looked at %d tracks, want the few affected", res.Checked)
	}
	incremental := matchedCount(t, st)
	if incremental != 50+1-2 {
		t.Errorf("after changes %d matched, want 49", incremental)
	}
	if _, err := m.Run(ctx, true); err != nil {
		t.Fatal(err)
	}
	if full := matchedCount(t, st); full != incremental {
		t.Errorf("full rematch gives %d, incremental gave %d", full, incremental)
	}
}

// BenchmarkRematchAfterOneNewFile: 100,000 indexed files, 10,000 playlist
// tracks, one new file, incremental rematch (SQLite included).
func BenchmarkRematchAfterOneNewFile(b *testing.B) {
	ctx := context.Background()
	st := openStore(b)
	seed(b, st, 100_000, 10_000)
	m := NewRematcher(st)
	if _, err := m.Run(ctx, false); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		j := 100_000 + 5_000 + i // a track of the playlist's missing half
		if err := st.Apply(ctx, cache.Batch{Upsert: []cache.LocalTrack{localTrack(j, fmt.Sprintf("Song Number %d", j), fmt.Sprintf("Artist %d", j%500), int64(200_000+j%1000), "")}}); err != nil {
			b.Fatal(err)
		}
		i++
		b.StartTimer()
		res, err := m.Run(ctx, false)
		if err != nil || res.Matched != 1 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkFullRematch10kVs100k: `tapedeck match` over 100,000 files and
// 10,000 playlist tracks, SQLite included.
func BenchmarkFullRematch10kVs100k(b *testing.B) {
	ctx := context.Background()
	st := openStore(b)
	seed(b, st, 100_000, 10_000)
	m := NewRematcher(st)
	if _, err := m.Run(ctx, false); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.Run(ctx, true); err != nil {
			b.Fatal(err)
		}
	}
}
