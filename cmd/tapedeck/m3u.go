package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
)

// m3uName is a file name for the playlist that every filesystem accepts
// (no reserved characters or names, no trailing dot or space, at most 100
// bytes), unique within one export.
func m3uName(p cache.Playlist, taken map[string]bool) string {
	base := strings.Map(func(r rune) rune {
		switch {
		case r < 32, strings.ContainsRune(`<>:"/\|?*`, r):
			return '_'
		}
		return r
	}, p.Name)
	base = strings.TrimRight(strings.TrimSpace(base), ". ")
	if len(base) > 100 {
		base = strings.ToValidUTF8(base[:100], "")
	}
	switch strings.ToUpper(base) {
	case "", "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "LPT1", "LPT2", "LPT3":
		base = "playlist " + p.ID
	}
	name := base + ".m3u8"
	if taken[strings.ToLower(name)] {
		name = base + " (" + p.ID + ").m3u8"
	}
	taken[strings.ToLower(name)] = true
	return name
}

// writeM3U writes the entries that have a local copy as extended M3U8
// (api.WriteM3U, the format the API serves), atomically, and returns how
// many it wrote.
func writeM3U(path, dir string, items []cache.PlaylistItem, relative bool) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".export-*.m3u8")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	if !relative {
		dir = ""
	}
	n, err := api.WriteM3U(tmp, items, dir)
	if err := errors.Join(err, tmp.Chmod(0o644), tmp.Close()); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), path)
}
