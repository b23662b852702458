package match

import (
	"strings"

	"github.com/tapedeck/tapedeck/media"
)

// reading is one interpretation of a side's metadata. A tagged file has
// one; an untagged file or a Spotify local-file entry may have several
// (the path read as "Artist - Title", or as "Artist/Album/NN Title").
type reading struct {
	t       title
	artists artistSet
	album   string // compact key of the album without its annotations
}

// prepared is what scoring needs of one side, computed once.
type prepared struct {
	readings []reading
	isrc     string
	mbid     string
	keys     []string
}

func albumKey(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "12") {
		s = albumYearRe.ReplaceAllString(s, "")
	}
	return parseTitle(s).base
}

func prepareLocal(l Local) prepared {
	p := prepared{isrc: media.NormalizeISRC(l.ISRC), mbid: normalizeMBID(l.MBRecordingID)}
	tagged := !l.Unreadable && strings.TrimSpace(l.Title) != ""
	if tagged {
		t := parseTitle(l.Title)
		credits := l.Artists
		if newArtistSet(credits, nil).empty() {
			credits = append(credits[:len(credits):len(credits)], l.AlbumArtist)
		}
		arts := newArtistSet(credits, t.feat)
		if arts.empty() {
			for _, g := range parsePath(l.Path) {
				if g.artist != "" {
					arts = newArtistSet([]string{g.artist}, t.feat)
					break
				}
			}
		}
		alb := albumKey(l.Album)
		p.readings = append(p.readings, reading{t: t, artists: arts, album: alb})
		// A title tagged "Artist - Title" by a careless tagger.
		if a, rest, ok := cutDash(l.Title); ok {
			if ak := artistKey(a); ak != "" && (arts.empty() || arts.has(ak)) {
				t2 := parseTitle(rest)
				p.readings = append(p.readings, reading{t: t2, artists: newArtistSet(append([]string{a}, credits...), t2.feat), album: alb})
			}
		}
	} else {
		for _, g := range parsePath(l.Path) {
			t := parseTitle(g.title)
			alb := albumKey(g.album)
			if !l.Unreadable && l.Album != "" {
				alb = albumKey(l.Album)
			}
			credits := []string{g.artist}
			if !l.Unreadable && !newArtistSet(l.Artists, nil).empty() {
				credits = l.Artists
			}
			p.readings = append(p.readings, reading{t: t, artists: newArtistSet(credits, t.feat), album: alb})
		}
	}
	p.keys = makeKeys(p)
	return p
}

func prepareRemote(r Remote) prepared {
	p := prepared{isrc: media.NormalizeISRC(r.ISRC), mbid: normalizeMBID(r.MBRecordingID)}
	switch r.Kind {
	case "episode":
		return p
	case "local":
		// A Spotify local file carries the tags of the listener's file, or
		// its file name when the file had none.
		t := parseTitle(r.Name)
		p.readings = append(p.readings, reading{t: t, artists: newArtistSet(r.Artists, t.feat), album: albumKey(r.Album)})
		artist := ""
		if len(r.Artists) > 0 {
			artist = r.Artists[0]
		}
		for _, g := range parseStem(r.Name, artist, r.Album) {
			if g.title == r.Name && g.artist == artist {
				continue
			}
			t := parseTitle(g.title)
			p.readings = append(p.readings, reading{t: t, artists: newArtistSet([]string{g.artist}, t.feat), album: albumKey(g.album)})
		}
	default:
		t := parseTitle(r.Name)
		p.readings = append(p.readings, reading{t: t, artists: newArtistSet(r.Artists, t.feat), album: albumKey(r.Album)})
	}
	p.keys = makeKeys(p)
	return p
}

// makeKeys lists the index keys of a side: its ISRC, its MusicBrainz id, and
// the base and full titles of every reading. Two sides can only match (short of a
// pin) when they share one.
func makeKeys(p prepared) []string {
	var keys []string
	add := func(k string) {
		for _, x := range keys {
			if x == k {
				return
			}
		}
		keys = append(keys, k)
	}
	if p.isrc != "" {
		add("isrc:" + p.isrc)
	}
	if p.mbid != "" {
		add("mbid:" + p.mbid)
	}
	for _, rd := range p.readings {
		if rd.t.base != "" {
			add("title:" + rd.t.base)
		}
		if rd.t.full != "" {
			add("title:" + rd.t.full)
		}
	}
	return keys
}

func normalizeMBID(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.Trim(s, "\x00")))
}

// LocalKeys returns the index keys of a file. A file and a Spotify track
// can only be matched (other than by a pin) if they share a key, so a store
// that keeps these keys can find the tracks to rematch when a file changes.
func LocalKeys(l Local) []string { return prepareLocal(l).keys }

// RemoteKeys returns the index keys of a Spotify track; see LocalKeys.
func RemoteKeys(r Remote) []string { return prepareRemote(r).keys }
