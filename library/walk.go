package library

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	gosync "sync"

	"github.com/tapedeck/tapedeck/media"
)

// file is an audio file found on disk.
type file struct {
	path    string
	size    int64
	mtimeNs int64
}

// walkResult is what a walk of the library found.
type walkResult struct {
	files []file
	// errs are directories (or roots) that could not be read.
	errs []FileError
	// blind are directories whose content is unknown this time (missing
	// roots, unreadable folders): what the index holds under them is kept.
	blind []string
}

type dirID struct{ dev, ino uint64 }

// walker follows symlinks but never enters the same directory twice, so a
// symlink loop (or two links to one folder) cannot recurse or double-index.
//
// Folders are read in parallel (stat calls dominate an unchanged rescan, and
// they scale with cores); the result is sorted, so it does not depend on
// scheduling.
type walker struct {
	readDir func(string) ([]fs.DirEntry, error)
	sem     chan struct{} // bounds the goroutines reading folders
	wg      gosync.WaitGroup

	mu   gosync.Mutex
	seen map[dirID]bool
	res  walkResult
}

func walk(ctx context.Context, roots []string, readDir func(string) ([]fs.DirEntry, error)) (walkResult, error) {
	w := &walker{readDir: readDir, seen: map[dirID]bool{}, sem: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
	defer func() {
		sort.Slice(w.res.files, func(i, j int) bool { return w.res.files[i].path < w.res.files[j].path })
	}()
	for _, root := range roots {
		fi, err := os.Stat(root)
		if err != nil {
			w.blindDir(root, fmt.Errorf("library dir %s: %w (its indexed tracks are kept until it is back)", root, unwrapPath(err)))
			continue
		}
		if !fi.IsDir() {
			w.blindDir(root, fmt.Errorf("library dir %s is not a directory: fix library.dirs", root))
			continue
		}
		w.dir(ctx, root, fi)
	}
	w.wg.Wait()
	return w.res, ctx.Err()
}

func (w *walker) blindDir(path string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res.errs = append(w.res.errs, FileError{Path: path, Error: err.Error()})
	w.res.blind = append(w.res.blind, path)
}

// firstVisit reports whether the folder fi has not been entered yet.
func (w *walker) firstVisit(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	id := dirID{uint64(st.Dev), st.Ino}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[id] {
		return false
	}
	w.seen[id] = true
	return true
}

// subdir reads a folder on a new goroutine when one is free, else inline.
func (w *walker) subdir(ctx context.Context, path string, fi fs.FileInfo) {
	select {
	case w.sem <- struct{}{}:
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer func() { <-w.sem }()
			w.dir(ctx, path, fi)
		}()
	default:
		w.dir(ctx, path, fi)
	}
}

func (w *walker) dir(ctx context.Context, path string, fi fs.FileInfo) {
	if ctx.Err() != nil || !w.firstVisit(fi) {
		return
	}
	entries, err := w.readDir(path)
	if err != nil {
		w.blindDir(path, fmt.Errorf("cannot read folder: %w", unwrapPath(err)))
		return
	}
	var found []file
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden files and folders, including .Trash and .git
		}
		if f, ok := w.entry(ctx, filepath.Join(path, name), e); ok {
			found = append(found, f)
		}
	}
	w.mu.Lock()
	w.res.files = append(w.res.files, found...)
	w.mu.Unlock()
}

// entry returns the audio file at path, or descends into a folder.
func (w *walker) entry(ctx context.Context, path string, e fs.DirEntry) (file, bool) {
	typ := e.Type()
	if typ.IsDir() {
		if fi, err := e.Info(); err == nil { // else it vanished since ReadDir
			w.subdir(ctx, path, fi)
		}
		return file{}, false
	}
	isLink := typ&fs.ModeSymlink != 0
	if !isLink && !media.Supported(filepath.Ext(path)) {
		return file{}, false
	}
	var (
		fi  fs.FileInfo
		err error
	)
	if isLink {
		fi, err = os.Stat(path)
	} else {
		fi, err = e.Info()
	}
	switch {
	case err != nil:
		return file{}, false // a dangling link, or vanished since ReadDir
	case fi.IsDir():
		w.subdir(ctx, path, fi)
		return file{}, false
	case !fi.Mode().IsRegular() || !media.Supported(filepath.Ext(path)):
		return file{}, false
	}
	return file{path: path, size: fi.Size(), mtimeNs: fi.ModTime().UnixNano()}, true
}

// unwrapPath drops the *PathError wrapper, whose path the caller already
// names, leaving "permission denied" or "no such file or directory".
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}
