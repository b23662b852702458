package match

import (
	"path"
	"regexp"
	"strings"
)

// guess is one reading of an untagged file's path or of a Spotify local
// file's name: who, what, and on which album.
type guess struct {
	artist, album, title string
}

var (
	// trackNoRe matches a leading track number: "01 - ", "01. ", "1-03 ",
	// "A1 " (vinyl side), "(01) ".
	trackNoRe = regexp.MustCompile(`^\(?(?:\d{1,2}[-.])?([A-Da-d]?\d{1,3})\)?(\s*[-._)]\s*|\s+)(.+)$`)
	// albumYearRe matches a leading or trailing year on an album folder.
	albumYearRe = regexp.MustCompile(`^\(?(?:19|20)\d\d\)?\s*(?:[-.]\s*)?|\s*[\[(](?:19|20)\d\d[\])]$`)
)

// genericDirs are folder names that are not an artist or an album.
var genericDirs = map[string]bool{
	"": true, "music": true, "musik": true, "musique": true, "audio": true, "mp3": true, "flac": true, "downloads": true,
	"download": true, "misc": true, "unsorted": true, "various artists": true, "various": true, "compilations": true,
	"singles": true, "library": true, "media": true, "itunes": true, "itunes media": true, "home": true, "tracks": true,
	"unknown artist": true, "unknown album": true, "new folder": true, "incoming": true, "soulseek": true, "albums": true,
}

// parsePath reads an untagged file's path: "Artist - Title",
// "NN - Artist - Title", "Artist/Album/NN Title" and "Artist - Album/NN
// Title". It returns every plausible reading; scoring picks the best.
func parsePath(p string) []guess {
	p = strings.ReplaceAll(p, `\`, "/")
	stem := path.Base(p)
	if i := strings.LastIndexByte(stem, '.'); i > 0 {
		stem = stem[:i]
	}
	dir := path.Dir(p)
	album := path.Base(dir)
	artist := path.Base(path.Dir(dir))
	if genericDirs[Normalize(album)] || album == "." || album == "/" {
		album = ""
	}
	if genericDirs[Normalize(artist)] || artist == "." || artist == "/" {
		artist = ""
	}
	out := parseStem(stem, artist, albumYearRe.ReplaceAllString(album, ""))
	if a, b, ok := cutDash(album); ok { // "Artist - Album" folder
		out = append(out, parseStem(stem, a, b)...)
	}
	return out
}

// parseStem reads a file name without extension (or a Spotify local file's
// name) given the artist and album its folders suggest.
func parseStem(stem, artist, album string) []guess {
	stem = strings.TrimSpace(strings.ReplaceAll(stem, "_", " "))
	var rests []string
	if m := trackNoRe.FindStringSubmatch(stem); m != nil {
		rests = append(rests, m[3])
		// "99 Luftballons", "7 Years": a number followed by a space may be
		// the title's own.
		if strings.TrimSpace(m[2]) == "" && m[1][0] != '0' {
			rests = append(rests, stem)
		}
	} else {
		rests = append(rests, stem)
	}
	var out []guess
	for _, r := range rests {
		if a, t, ok := cutDash(r); ok {
			// "Artist - Title", and "Title - Live" under an artist folder.
			if m := trackNoRe.FindStringSubmatch(t); m != nil && strings.TrimSpace(m[2]) != "" {
				out = append(out, guess{artist: a, album: album, title: m[3]}) // "Artist - NN - Title"
			}
			out = append(out, guess{artist: a, album: album, title: t})
			if artist != "" {
				out = append(out, guess{artist: artist, album: album, title: r})
			}
			continue
		}
		out = append(out, guess{artist: artist, album: album, title: r})
	}
	return out
}

// cutDash splits "A - B" at its first spaced dash.
func cutDash(s string) (string, string, bool) {
	loc := dashSep.FindStringIndex(s)
	if loc == nil {
		return "", "", false
	}
	a, b := strings.TrimSpace(s[:loc[0]]), strings.TrimSpace(s[loc[1]:])
	if a == "" || b == "" {
		return "", "", false
	}
	return a, b, true
}
