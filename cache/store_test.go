package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gosync "sync"

	"github.com/tapedeck/tapedeck/media"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "state", "tapedeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenCreatesPrivateDatabaseInWAL(t *testing.T) {
	s := openTemp(t)
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, want 0600", fi.Mode().Perm())
	}
	var mode string
	if err := s.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	var fk int
	if err := s.w.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
	if got := userVersion(t, s.Path()); got != SchemaVersion() || got < 1 {
		t.Errorf("user_version = %d, want %d", got, SchemaVersion())
	}
}

// TestOlderDatabasesMigrate builds a database at every older schema version
// by applying a prefix of the migrations, and checks Open brings it up to
// date without losing the rows written at that version.
func TestOlderDatabasesMigrate(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < len(ms); k++ {
		t.Run(fmt.Sprintf("from_v%d", k), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open("sqlite3", path)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms[:k] {
				if _, err := db.Exec(m.sql); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", k)); err != nil {
				t.Fatal(err)
			}
			if k >= 1 {
				if _, err := db.Exec(`INSERT INTO local_tracks(path, size, mtime_ns, reader_version, title, scanned_at) VALUES ('/m/a.flac', 1, 2, 1, 'Kept', 0)`); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := userVersion(t, path); got != len(ms) {
				t.Errorf("user_version = %d after open, want %d", got, len(ms))
			}
			if k >= 1 {
				tr, err := s.TrackByPath(context.Background(), "/m/a.flac")
				if err != nil || tr.Title != "Kept" {
					t.Errorf("row from v%d lost: %+v, %v", k, tr, err)
				}
			}
		})
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	s := openTemp(t)
	path := s.Path()
	if _, err := s.w.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrTooNew) {
		t.Fatalf("err = %v, want ErrTooNew", err)
	}
	if !strings.Contains(err.Error(), "upgrade tapedeck") || !strings.Contains(err.Error(), "999") {
		t.Errorf("message does not say what to do: %v", err)
	}
	if got := userVersion(t, path); got != 999 {
		t.Errorf("refused database was modified: user_version %d", got)
	}
}

func gain(v float64) *float64 { return &v }

func track(path, title string, artists ...string) LocalTrack {
	return LocalTrack{Path: path, Size: 100, MtimeNs: 5, ReaderVersion: 1, Info: media.Info{
		Format: "flac", Codec: "flac", DurationMs: 200_000, Title: title, Artists: artists,
		Album: "Album", ISRC: "GBAYE0601498", TrackGain: gain(-6.5),
	}}
}

func TestApplyUpsertKeepsIDAndRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	in := track("/m/one.flac", "Björk Song", "Björk", "Thom Yorke")
	if err := s.Apply(ctx, Batch{Upsert: []LocalTrack{in}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.TrackByPath(ctx, in.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != in.Title || strings.Join(got.Artists, "|") != "Björk|Thom Yorke" || got.ISRC != in.ISRC ||
		got.TrackGain == nil || *got.TrackGain != -6.5 || got.AlbumGain != nil || got.DurationMs != 200_000 {
		t.Errorf("round trip lost data: %+v", got)
	}
	in.Title, in.Size = "Renamed", 200
	if err := s.Apply(ctx, Batch{Upsert: []LocalTrack{in}}); err != nil {
		t.Fatal(err)
	}
	again, err := s.TrackByPath(ctx, in.Path)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != got.ID || again.Title != "Renamed" || again.Size != 200 {
		t.Errorf("update: id %d→%d title %q size %d", got.ID, again.ID, again.Title, again.Size)
	}
	if err := s.Apply(ctx, Batch{Delete: []string{in.Path}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TrackByPath(ctx, in.Path); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: err = %v, want ErrNotFound", err)
	}
}

func TestSearchFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	err := s.Apply(ctx, Batch{Upsert: []LocalTrack{
		track("/m/a.mp3", "Jóga", "Björk"),
		track("/m/b.mp3", "Paranoid Android", "Radiohead"),
		track("/m/c.mp3", "Army of Me", "Björk"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	search := func(q string) string {
		t.Helper()
		ts, err := s.Tracks(ctx, TrackQuery{Search: q})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var paths []string
		for _, tr := range ts {
			paths = append(paths, filepath.Base(tr.Path))
		}
		return strings.Join(paths, ",")
	}
	cases := map[string]string{
		"bjork":            "a.mp3,c.mp3", // diacritics folded
		"joga":             "a.mp3",
		"radio":            "b.mp3", // prefix
		"bjork army":       "c.mp3", // every word, any column
		`"paranoid" AND (`: "b.mp3", // FTS syntax is treated as words
		"!!!":              "",
		"nothing here":     "",
	}
	for q, want := range cases {
		if got := search(q); got != want {
			t.Errorf("search %q = %q, want %q", q, got, want)
		}
	}
	up := track("/m/b.mp3", "Karma Police", "Radiohead")
	if err := s.Apply(ctx, Batch{Upsert: []LocalTrack{up}, Delete: []string{"/m/a.mp3"}}); err != nil {
		t.Fatal(err)
	}
	if got := search("paranoid"); got != "" {
		t.Errorf("old title still found after update: %q", got)
	}
	if got := search("karma"); got != "b.mp3" {
		t.Errorf("new title not found: %q", got)
	}
	if got := search("joga"); got != "" {
		t.Errorf("deleted track still found: %q", got)
	}
}

func TestStatsAndFailedFilter(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	bad := LocalTrack{Path: "/m/bad.mp3", Size: 0, ReaderVersion: 1, ParseError: "empty file"}
	if err := s.Apply(ctx, Batch{Upsert: []LocalTrack{track("/m/a.flac", "A", "X"), bad}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Tracks != 2 || st.Failed != 1 || st.ByFormat["flac"] != 1 || st.DurationMs != 200_000 {
		t.Errorf("stats = %+v", st)
	}
	failed, err := s.Tracks(ctx, TrackQuery{FailedOnly: true})
	if err != nil || len(failed) != 1 || failed[0].ParseError != "empty file" {
		t.Errorf("failed = %+v, %v", failed, err)
	}
}

// TestReadersDuringWrites runs queries while batches are committed: WAL and
// the separate read pool must let both proceed without SQLITE_BUSY.
func TestReadersDuringWrites(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	done := make(chan struct{})
	var wg gosync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.Tracks(ctx, TrackQuery{Search: "song", Limit: 50}); err != nil {
					errs <- fmt.Errorf("reader: %w", err)
					return
				}
				if _, err := s.Stamps(ctx); err != nil {
					errs <- fmt.Errorf("reader: %w", err)
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(3 * time.Second)
	n := 0
	for b := 0; b < 40 && time.Now().Before(deadline); b++ {
		var batch Batch
		for i := 0; i < 100; i++ {
			batch.Upsert = append(batch.Upsert, track(fmt.Sprintf("/m/%03d/%03d.flac", b, i), "Song", "Artist"))
		}
		if err := s.Apply(ctx, batch); err != nil {
			t.Fatalf("writer: %v", err)
		}
		n += 100
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Tracks != n {
		t.Errorf("tracks = %d (%v), want %d", st.Tracks, err, n)
	}
}
