package library

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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
type walker struct {
	readDir func(string) ([]fs.DirEntry, error)
	seen    map[dirID]bool
	res     walkResult
}

func walk(ctx context.Context, roots []string, readDir func(string) ([]fs.DirEntry, error)) (walkResult, error) {
	w := &walker{readDir: readDir, seen: map[dirID]bool{}}
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
		if err := w.dir(ctx, root, fi); err != nil {
			return w.res, err
		}
	}
	return w.res, nil
}

func (w *walker) blindDir(path string, err error) {
	w.res.errs = append(w.res.errs, FileError{Path: path, Error: err.Error()})
	w.res.blind = append(w.res.blind, path)
}

func (w *walker) dir(ctx context.Context, path string, fi fs.FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id := dirID{uint64(st.Dev), st.Ino}
		if w.seen[id] {
			return nil
		}
		w.seen[id] = true
	}
	entries, err := w.readDir(path)
	if err != nil {
		w.blindDir(path, fmt.Errorf("cannot read folder: %w", unwrapPath(err)))
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden files and folders, including .Trash and .git
		}
		if err := w.entry(ctx, filepath.Join(path, name), e); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) entry(ctx context.Context, path string, e fs.DirEntry) error {
	typ := e.Type()
	if typ.IsDir() {
		fi, err := e.Info()
		if err != nil {
			return nil // vanished since ReadDir
		}
		return w.dir(ctx, path, fi)
	}
	isLink := typ&fs.ModeSymlink != 0
	if !isLink && !media.Supported(filepath.Ext(path)) {
		return nil
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
	case err != nil && isLink:
		return nil // dangling link: nothing to index
	case err != nil:
		return nil // vanished since ReadDir
	case fi.IsDir():
		return w.dir(ctx, path, fi)
	case !fi.Mode().IsRegular() || !media.Supported(filepath.Ext(path)):
		return nil
	}
	w.res.files = append(w.res.files, file{path: path, size: fi.Size(), mtimeNs: fi.ModTime().UnixNano()})
	return nil
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
