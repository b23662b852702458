// Package library keeps the index of the listener's own audio files in step
// with the disk: it walks the music folders, reads new and changed files in
// parallel with package media, and commits the changes to the cache in
// batches.
package library

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"time"

	gosync "sync"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/media"
)

// ReaderVersion identifies the tag reader's behaviour. Bump it when media
// reads files differently, so the next scan reads every file again.
const ReaderVersion = 1

// FileError is a file or folder that could not be read.
type FileError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// Result counts what a scan did. Failed counts files and folders that could
// not be read; a file that failed is still indexed (with its error) and also
// counted as added or updated.
type Result struct {
	Added     int         `json:"added"`
	Updated   int         `json:"updated"`
	Removed   int         `json:"removed"`
	Unchanged int         `json:"unchanged"`
	Failed    int         `json:"failed"`
	Errors    []FileError `json:"errors"`
}

// Progress is reported while a scan reads files.
type Progress struct {
	Total int // files to read (new or changed)
	Done  int
	Path  string // the file just read
}

// Scanner scans a set of music folders into a store.
type Scanner struct {
	store *cache.Store
	dirs  []string

	// Workers bounds how many files are read at once; 0 means one per CPU.
	Workers int
	// BatchSize is how many files are committed per transaction.
	BatchSize int
	// Force reads every file again, changed or not.
	Force bool
	// Probe reads one file; media.Probe unless a test replaces it.
	Probe func(path string) (media.Info, error)
	// OnProgress, if set, is called from one goroutine after each file read.
	OnProgress func(Progress)
	Logger     *slog.Logger

	// readDir lists a folder; os.ReadDir unless a test replaces it (root
	// can read any folder, so permission tests need it).
	readDir func(string) ([]fs.DirEntry, error)
}

// New returns a scanner of dirs into store.
func New(store *cache.Store, dirs []string) *Scanner {
	return &Scanner{
		store:     store,
		dirs:      dirs,
		BatchSize: 500,
		Probe:     media.Probe,
		Logger:    slog.New(slog.DiscardHandler),
		readDir:   os.ReadDir,
	}
}

// Scan brings the index in step with the disk. Files whose size and
// modification time are unchanged are not read again. A file that cannot be
// read never stops the scan: it is indexed with its error. If ctx is
// cancelled, what was read so far is committed and ctx's error returned.
func (s *Scanner) Scan(ctx context.Context) (Result, error) {
	var res Result
	// The index and the disk are read at the same time.
	type loaded struct {
		stamps map[string]cache.Stamp
		err    error
	}
	stampsCh := make(chan loaded, 1)
	go func() {
		st, err := s.store.Stamps(ctx)
		stampsCh <- loaded{st, err}
	}()
	found, walkErr := walk(ctx, s.dirs, s.readDir)
	ld := <-stampsCh
	if err := errors.Join(walkErr, ld.err); err != nil {
		return res, err
	}
	stamps := ld.stamps
	res.Errors = append(res.Errors, found.errs...)
	res.Failed += len(found.errs)

	var toRead []file
	present := make(map[string]bool, len(found.files))
	for _, f := range found.files {
		present[f.path] = true
		st, known := stamps[f.path]
		switch {
		case !known:
			res.Added++
			toRead = append(toRead, f)
		case s.Force || st.Size != f.size || st.MtimeNs != f.mtimeNs || st.ReaderVersion != ReaderVersion:
			res.Updated++
			toRead = append(toRead, f)
		default:
			res.Unchanged++
		}
	}
	gone := s.gone(stamps, present, found.blind)
	res.Removed = len(gone)
	s.Logger.Debug("library walked", "files", len(found.files), "to_read", len(toRead), "removed", len(gone))

	failed, err := s.read(ctx, toRead, gone)
	res.Failed += len(failed)
	res.Errors = append(res.Errors, failed...)
	sort.Slice(res.Errors, func(i, j int) bool { return res.Errors[i].Path < res.Errors[j].Path })
	if res.Errors == nil {
		res.Errors = []FileError{}
	}
	return res, err
}

// gone lists indexed paths that are no longer on disk: not found by the
// walk, and not under a folder that could not be seen this time.
func (s *Scanner) gone(stamps map[string]cache.Stamp, present map[string]bool, blind []string) []string {
	var out []string
	for p := range stamps {
		if present[p] || underAny(p, blind) {
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if under(p, d) {
			return true
		}
	}
	return false
}

// read probes files with a pool of workers and commits the results (and
// the deletions) from a single goroutine in batches.
func (s *Scanner) read(ctx context.Context, files []file, gone []string) ([]FileError, error) {
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan file)
	results := make(chan cache.LocalTrack, workers*4)
	var wg gosync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				results <- s.readOne(f)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range files {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	return s.commit(ctx, results, len(files), gone)
}

func (s *Scanner) commit(ctx context.Context, results <-chan cache.LocalTrack, total int, gone []string) ([]FileError, error) {
	var (
		failed   []FileError
		batch    = cache.Batch{Delete: gone}
		done     int
		writeErr error
	)
	flush := func() {
		if writeErr == nil && (len(batch.Upsert) > 0 || len(batch.Delete) > 0) {
			// A cancelled scan still commits what it read.
			writeErr = s.store.Apply(context.WithoutCancel(ctx), batch)
		}
		batch = cache.Batch{}
	}
	for t := range results {
		done++
		if t.ParseError != "" {
			failed = append(failed, FileError{Path: t.Path, Error: t.ParseError})
		}
		batch.Upsert = append(batch.Upsert, t)
		if len(batch.Upsert) >= max(s.BatchSize, 1) {
			flush()
		}
		if s.OnProgress != nil {
			s.OnProgress(Progress{Total: total, Done: done, Path: t.Path})
		}
	}
	flush()
	if writeErr != nil {
		return failed, fmt.Errorf("scan: %w", writeErr)
	}
	return failed, ctx.Err()
}

// readOne reads one file. Every failure, even a panic, becomes the track's
// ParseError: one bad file must not stop the scan.
func (s *Scanner) readOne(f file) (t cache.LocalTrack) {
	t = cache.LocalTrack{Path: f.path, Size: f.size, MtimeNs: f.mtimeNs, ReaderVersion: ReaderVersion}
	defer func() {
		if r := recover(); r != nil {
			t.ParseError = fmt.Sprintf("reader crashed: %v", r)
		}
	}()
	start := time.Now()
	info, err := s.Probe(f.path)
	t.Info = info
	if err != nil {
		t.ParseError = describe(err)
		s.Logger.Debug("file not readable", "path", f.path, "err", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		s.Logger.Warn("slow file", "path", f.path, "took", d)
	}
	return t
}

// describe shortens os errors, whose path is already the row's path.
func describe(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
