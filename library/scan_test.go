package library

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	gosync "sync"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/media"
)

type env struct {
	t     *testing.T
	root  string
	store *cache.Store

	mu    gosync.Mutex
	reads []string // paths probed, in any order
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "tapedeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	root := filepath.Join(t.TempDir(), "Music")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, root: root, store: st}
}

// scanner returns a scanner over the env's root (and extra dirs) whose
// Probe records every file it reads.
func (e *env) scanner(dirs ...string) *Scanner {
	s := New(e.store, append([]string{e.root}, dirs...))
	s.BatchSize = 2 // several transactions even in small tests
	s.Probe = func(p string) (media.Info, error) {
		e.mu.Lock()
		e.reads = append(e.reads, p)
		e.mu.Unlock()
		return media.Probe(p)
	}
	return s
}

func (e *env) scan(s *Scanner) Result {
	e.t.Helper()
	e.mu.Lock()
	e.reads = nil
	e.mu.Unlock()
	res, err := s.Scan(context.Background())
	if err != nil {
		e.t.Fatalf("scan: %v", err)
	}
	return res
}

func (e *env) readPaths() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := append([]string(nil), e.reads...)
	sort.Strings(out)
	return out
}

func (e *env) indexed() map[string]cache.LocalTrack {
	e.t.Helper()
	ts, err := e.store.Tracks(context.Background(), cache.TrackQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]cache.LocalTrack{}
	for _, t := range ts {
		out[t.Path] = t
	}
	return out
}

func (e *env) mkdir(rel string) string {
	e.t.Helper()
	p := filepath.Join(e.root, rel)
	if err := os.MkdirAll(p, 0o755); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func counts(r Result) [5]int { return [5]int{r.Added, r.Updated, r.Removed, r.Unchanged, r.Failed} }

func TestScanIndexesEveryFormat(t *testing.T) {
	e := newEnv(t)
	dir := e.mkdir("Artist/Album")
	want := map[string]string{}
	for i, f := range fixture.Formats {
		isrc := "GBAYE06014" + string(rune('0'+i)) + "8"
		p := fixture.Make(t, dir, "0"+string(rune('1'+i))+" "+f, f, 1500, fixture.Tags{
			Title: "Song " + f, Artists: []string{"Artist"}, Album: "Album", ISRC: isrc,
		})
		want[p] = isrc
	}
	res := e.scan(e.scanner())
	if got := counts(res); got != [5]int{len(want), 0, 0, 0, 0} {
		t.Fatalf("added/updated/removed/unchanged/failed = %v, errors %v", got, res.Errors)
	}
	idx := e.indexed()
	for p, isrc := range want {
		tr, ok := idx[p]
		switch {
		case !ok:
			t.Errorf("%s not indexed", p)
		case tr.ParseError != "":
			t.Errorf("%s: %s", p, tr.ParseError)
		case tr.ISRC != isrc:
			t.Errorf("%s: ISRC %q, want %q", p, tr.ISRC, isrc)
		case tr.DurationMs < 1450 || tr.DurationMs > 1550:
			t.Errorf("%s: duration %d ms, want 1500±50", p, tr.DurationMs)
		case tr.Title == "" || len(tr.Artists) != 1 || tr.Album != "Album":
			t.Errorf("%s: tags %q %q %q", p, tr.Title, tr.Artists, tr.Album)
		}
	}
}

func TestWalkSkipsHiddenAndNonAudioAndSurvivesSymlinkLoops(t *testing.T) {
	e := newEnv(t)
	dir := e.mkdir("A/B")
	song := fixture.Make(t, dir, "01 Song", "flac", 500, fixture.Tags{Title: "Song"})
	fixture.Make(t, e.mkdir(".hidden"), "secret", "flac", 500, fixture.Tags{})
	fixture.Make(t, dir, ".partial", "mp3", 500, fixture.Tags{})
	for _, name := range []string{"cover.jpg", "notes.txt", "playlist.m3u"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A loop back to the root, a link to a folder outside it, and a link to
	// a file: links are followed, loops are not.
	outside := filepath.Join(t.TempDir(), "Elsewhere")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	other := fixture.Make(t, outside, "Other", "ogg", 500, fixture.Tags{Title: "Other"})
	for link, target := range map[string]string{
		filepath.Join(dir, "loop"):         e.root,
		filepath.Join(e.root, "elsewhere"): outside,
		filepath.Join(e.root, "link.flac"): song,
		filepath.Join(e.root, "dangling"):  filepath.Join(e.root, "nope.flac"),
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	res := e.scan(e.scanner())
	var got []string
	for p := range e.indexed() {
		got = append(got, strings.TrimPrefix(p, e.root))
	}
	sort.Strings(got)
	want := []string{"/A/B/01 Song.flac", "/elsewhere/Other.ogg", "/link.flac"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("indexed %q, want %q (other file at %s)", got, want, other)
	}
	if res.Failed != 0 {
		t.Errorf("failed: %v", res.Errors)
	}
}

func TestIncrementalRescan(t *testing.T) {
	e := newEnv(t)
	dir := e.mkdir("Artist/Album")
	a := fixture.Make(t, dir, "01 A", "flac", 600, fixture.Tags{Title: "A"})
	b := fixture.Make(t, dir, "02 B", "mp3", 600, fixture.Tags{Title: "B"})
	c := fixture.Make(t, dir, "03 C", "ogg", 600, fixture.Tags{Title: "C"})
	s := e.scanner()

	if got := counts(e.scan(s)); got != [5]int{3, 0, 0, 0, 0} {
		t.Fatalf("first scan %v", got)
	}
	before := e.indexed()

	// Nothing changed: nothing is read.
	if got := counts(e.scan(s)); got != [5]int{0, 0, 0, 3, 0} {
		t.Errorf("unchanged rescan %v", got)
	}
	if r := e.readPaths(); len(r) != 0 {
		t.Errorf("unchanged rescan read %q", r)
	}

	// Modify A (new content and mtime), delete B, rename C, add D.
	fixture.Make(t, dir, "01 A", "flac", 900, fixture.Tags{Title: "A v2"})
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(a, later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	c2 := filepath.Join(dir, "03 C renamed.ogg")
	if err := os.Rename(c, c2); err != nil {
		t.Fatal(err)
	}
	d := fixture.Make(t, dir, "04 D", "flac", 600, fixture.Tags{Title: "D"})

	if got := counts(e.scan(s)); got != [5]int{2, 1, 2, 0, 0} {
		t.Errorf("after changes: added/updated/removed/unchanged/failed = %v", got)
	}
	wantReads := []string{a, c2, d}
	sort.Strings(wantReads)
	if r := e.readPaths(); strings.Join(r, ",") != strings.Join(wantReads, ",") {
		t.Errorf("read %q, want only %q", r, wantReads)
	}
	idx := e.indexed()
	if idx[a].ID != before[a].ID || idx[a].Title != "A v2" || idx[a].DurationMs < 850 {
		t.Errorf("modified file: id %d→%d, %q, %d ms", before[a].ID, idx[a].ID, idx[a].Title, idx[a].DurationMs)
	}
	for _, gone := range []string{b, c} {
		if _, ok := idx[gone]; ok {
			t.Errorf("%s still indexed", gone)
		}
	}
	if idx[c2].Title != "C" || idx[d].Title != "D" {
		t.Errorf("new files: %+v %+v", idx[c2], idx[d])
	}

	// --force and a newer reader read everything again.
	s.Force = true
	if got := counts(e.scan(s)); got != [5]int{0, 3, 0, 0, 0} || len(e.readPaths()) != 3 {
		t.Errorf("forced scan %v, read %d", got, len(e.readPaths()))
	}
}

func TestBadFilesAreReportedAndTheRestIndexed(t *testing.T) {
	e := newEnv(t)
	dir := e.mkdir("Artist/Album")
	good := fixture.Make(t, dir, "01 Good", "flac", 800, fixture.Tags{Title: "Good"})
	goodData, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	mp3Data, err := os.ReadFile(fixture.Make(t, t.TempDir(), "x", "mp3", 800, fixture.Tags{}))
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), goodData...)
	for i := 0; i < 42 && i < len(flipped); i++ {
		flipped[i] ^= 0xA5
	}
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i/3)
	}
	bad := map[string][]byte{
		"zero.mp3":       {},
		"truncated.flac": goodData[:30],
		"random.mp3":     random,
		"flipped.flac":   flipped,
		"cut.mp3":        mp3Data[:len(mp3Data)/3],
	}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	locked := e.mkdir("Locked")
	fixture.Make(t, locked, "Hidden Away", "flac", 500, fixture.Tags{})
	s := e.scanner()
	denyLocked(t, s, locked)

	res := e.scan(s)
	idx := e.indexed()
	if tr := idx[good]; tr.ParseError != "" || tr.Title != "Good" {
		t.Errorf("good file: %+v", tr)
	}
	reported := map[string]string{}
	for _, fe := range res.Errors {
		reported[filepath.Base(fe.Path)] = fe.Error
	}
	if !strings.Contains(reported["Locked"], "permission denied") {
		t.Errorf("unreadable folder not reported: %q", reported)
	}
	failing := 1 // the folder
	for name := range bad {
		tr, ok := idx[filepath.Join(dir, name)]
		if name == "cut.mp3" && ok && tr.ParseError == "" {
			// A cut MP3 is still playable: its duration comes from its header.
			continue
		}
		failing++
		if !ok || tr.ParseError == "" || reported[name] == "" {
			t.Errorf("%s: indexed=%v error=%q reported=%q", name, ok, tr.ParseError, reported[name])
		}
	}
	if res.Failed != failing || len(res.Errors) != failing {
		t.Errorf("failed = %d, %d errors, want %d: %v", res.Failed, len(res.Errors), failing, res.Errors)
	}
}

// denyLocked makes the folder unreadable; as root (CI) permissions do not
// apply, so the scanner's directory reader is made to answer as the kernel
// would for anyone else.
func denyLocked(t *testing.T, s *Scanner, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if os.Geteuid() == 0 {
		s.readDir = func(p string) ([]fs.DirEntry, error) {
			if p == dir {
				return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
			}
			return os.ReadDir(p)
		}
	}
}

func TestUnreadableOrMissingFoldersKeepTheirTracks(t *testing.T) {
	e := newEnv(t)
	sub := e.mkdir("Disk")
	p := fixture.Make(t, sub, "Song", "flac", 500, fixture.Tags{Title: "Song"})
	usb := filepath.Join(t.TempDir(), "USB")
	if err := os.MkdirAll(usb, 0o755); err != nil {
		t.Fatal(err)
	}
	q := fixture.Make(t, usb, "Other", "ogg", 500, fixture.Tags{Title: "Other"})
	s := e.scanner(usb)
	if got := counts(e.scan(s)); got != [5]int{2, 0, 0, 0, 0} {
		t.Fatalf("first scan %v", got)
	}
	// The USB disk is unplugged and Disk becomes unreadable.
	if err := os.RemoveAll(usb); err != nil {
		t.Fatal(err)
	}
	denyLocked(t, s, sub)
	res := e.scan(s)
	if res.Removed != 0 || res.Failed != 2 {
		t.Errorf("removed %d failed %d (%v), want 0 and 2", res.Removed, res.Failed, res.Errors)
	}
	idx := e.indexed()
	if _, ok := idx[p]; !ok {
		t.Error("track under unreadable folder was dropped")
	}
	if _, ok := idx[q]; !ok {
		t.Error("track under missing library dir was dropped")
	}
}

func TestPanickingReaderIsContained(t *testing.T) {
	e := newEnv(t)
	dir := e.mkdir("X")
	a := fixture.Make(t, dir, "a", "flac", 300, fixture.Tags{Title: "a"})
	b := fixture.Make(t, dir, "b", "flac", 300, fixture.Tags{Title: "b"})
	s := e.scanner()
	s.Probe = func(p string) (media.Info, error) {
		if p == a {
			panic("index out of range")
		}
		return media.Probe(p)
	}
	res := e.scan(s)
	idx := e.indexed()
	if res.Failed != 1 || !strings.Contains(idx[a].ParseError, "index out of range") || idx[b].Title != "b" {
		t.Errorf("failed=%d a=%q b=%q", res.Failed, idx[a].ParseError, idx[b].Title)
	}
}

func TestCancelledScanKeepsWhatWasRead(t *testing.T) {
	e := newEnv(t)
	dir := e.mkdir("X")
	for _, n := range []string{"1", "2", "3", "4", "5", "6"} {
		fixture.Make(t, dir, n, "flac", 300, fixture.Tags{Title: n})
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := e.scanner()
	s.Workers = 1
	var n int
	s.Probe = func(p string) (media.Info, error) {
		n++
		if n == 3 {
			cancel()
		}
		return media.Probe(p)
	}
	_, err := s.Scan(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	got := len(e.indexed())
	if got < 3 || got == 6 {
		t.Errorf("indexed %d of 6 after cancel at the third file, want the ones read (3–4)", got)
	}
	s.Probe = media.Probe
	res := e.scan(s)
	if res.Added != 6-got || res.Unchanged != got {
		t.Errorf("resumed scan: %+v", counts(res))
	}
}
