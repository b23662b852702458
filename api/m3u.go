package api

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/tapedeck/tapedeck/cache"
)

// WriteM3U writes the entries that have a local copy as extended M3U8
// (#EXTM3U, then #EXTINF:seconds,Artists - Title and the path), in order,
// and returns how many it wrote. With dir set, paths are made relative to
// it where possible. The CLI's `export m3u` writes the same format.
func WriteM3U(w io.Writer, items []cache.PlaylistItem, dir string) (int, error) {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "#EXTM3U")
	n := 0
	clean := strings.NewReplacer("\n", " ", "\r", " ")
	for _, it := range items {
		if it.Track == nil || it.LocalPath == "" {
			continue
		}
		loc := it.LocalPath
		if dir != "" {
			if rel, err := filepath.Rel(dir, loc); err == nil {
				loc = rel
			}
		}
		title := strings.Join(cache.ArtistNames(it.Track.Artists), ", ") + " - " + it.Track.Name
		fmt.Fprintf(bw, "#EXTINF:%d,%s\n%s\n", (it.Track.DurationMs+500)/1000, clean.Replace(title), clean.Replace(loc))
		n++
	}
	return n, bw.Flush()
}
