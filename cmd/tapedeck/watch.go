package main

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchLibrary calls changed (debounced: once things have been quiet for
// quiet) whenever something under dirs is created, written, removed or
// renamed. New folders are watched as they appear. A watcher that cannot
// start (inotify limits) is logged and the periodic rescan carries on.
func watchLibrary(ctx context.Context, dirs []string, quiet time.Duration, log *slog.Logger, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("cannot watch the library for changes; relying on the periodic rescan", "err", err)
		<-ctx.Done()
		return nil
	}
	defer w.Close()
	for _, d := range dirs {
		addTree(w, d, log)
	}
	var timer *time.Timer
	fire := make(chan struct{}, 1)
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if strings.HasPrefix(filepath.Base(ev.Name), ".") {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					addTree(w, ev.Name, log)
				}
			}
			if timer == nil {
				timer = time.AfterFunc(quiet, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			} else {
				timer.Reset(quiet)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			log.Warn("library watcher", "err", err)
		case <-fire:
			changed()
		}
	}
}

// addTree watches dir and every folder below it (hidden ones excepted).
func addTree(w *fsnotify.Watcher, dir string, log *slog.Logger) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			log.Warn("cannot watch folder", "path", p, "err", err)
			return filepath.SkipDir
		}
		return nil
	})
}
