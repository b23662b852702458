package media

import (
	"strconv"
	"strings"
)

// tagMap collects tag values under normalised, upper-case keys in the
// Vorbis comment vocabulary (TITLE, ARTIST, TRACKNUMBER, ...), keeping every
// value in order. Each format's parser fills one; apply maps it onto Info.
type tagMap map[string][]string

// keyAliases maps the spellings different taggers use to one key.
var keyAliases = map[string]string{
	"ALBUM ARTIST":                     "ALBUMARTIST",
	"ALBUM_ARTIST":                     "ALBUMARTIST",
	"TRACK":                            "TRACKNUMBER",
	"DISC":                             "DISCNUMBER",
	"TOTALTRACKS":                      "TRACKTOTAL",
	"TOTALDISCS":                       "DISCTOTAL",
	"MUSICBRAINZ TRACK ID":             "MUSICBRAINZ_TRACKID",
	"MUSICBRAINZ_RECORDINGID":          "MUSICBRAINZ_TRACKID",
	"MUSICBRAINZ RECORDING ID":         "MUSICBRAINZ_TRACKID",
	"COM.APPLE.QUICKTIME.TITLE":        "TITLE",
	"COM.APPLE.QUICKTIME.ARTIST":       "ARTIST",
	"COM.APPLE.QUICKTIME.ALBUM":        "ALBUM",
	"COM.APPLE.QUICKTIME.GENRE":        "GENRE",
	"COM.APPLE.QUICKTIME.YEAR":         "DATE",
	"COM.APPLE.QUICKTIME.ISRC":         "ISRC",
	"COM.APPLE.QUICKTIME.CREATIONDATE": "DATE",
}

func normKey(k string) string {
	k = strings.ToUpper(strings.TrimSpace(k))
	if a, ok := keyAliases[k]; ok {
		return a
	}
	return k
}

// add appends a value under key (normalised). Empty values are dropped.
func (m tagMap) add(key, value string) {
	value = strings.TrimRight(value, "\x00")
	if strings.TrimSpace(value) == "" {
		return
	}
	k := normKey(key)
	m[k] = append(m[k], value)
}

func (m tagMap) first(keys ...string) string {
	for _, k := range keys {
		if v := m[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
	}
	return ""
}

// apply fills the tag fields of info from m.
func (m tagMap) apply(info *Info) {
	info.Title = m.first("TITLE")
	artists := m["ARTISTS"]
	if len(artists) == 0 {
		artists = m["ARTIST"]
	}
	info.Artists = nil
	for _, a := range artists {
		if a = strings.TrimSpace(a); a != "" {
			info.Artists = append(info.Artists, a)
		}
	}
	info.Album = m.first("ALBUM")
	info.AlbumArtist = m.first("ALBUMARTIST")
	info.TrackNo, info.TrackTotal = numPair(m.first("TRACKNUMBER"))
	if t := atoi(m.first("TRACKTOTAL")); t > 0 {
		info.TrackTotal = t
	}
	info.DiscNo, info.DiscTotal = numPair(m.first("DISCNUMBER"))
	if t := atoi(m.first("DISCTOTAL")); t > 0 {
		info.DiscTotal = t
	}
	info.Year = year(m.first("DATE", "YEAR", "ORIGINALDATE", "ORIGINALYEAR"))
	info.Genre = m.first("GENRE")
	info.ISRC = NormalizeISRC(m.first("ISRC"))
	info.MBRecordingID = strings.ToLower(m.first("MUSICBRAINZ_TRACKID"))
	info.TrackGain = gain(m.first("REPLAYGAIN_TRACK_GAIN"))
	info.TrackPeak = number(m.first("REPLAYGAIN_TRACK_PEAK"))
	info.AlbumGain = gain(m.first("REPLAYGAIN_ALBUM_GAIN"))
	info.AlbumPeak = number(m.first("REPLAYGAIN_ALBUM_PEAK"))
	if info.TrackGain == nil {
		info.TrackGain = r128(m.first("R128_TRACK_GAIN"))
	}
	if info.AlbumGain == nil {
		info.AlbumGain = r128(m.first("R128_ALBUM_GAIN"))
	}
}

// NormalizeISRC puts an ISRC in the form Spotify's external_ids use: upper
// case, without NUL bytes (M4A), hyphens, dots or spaces ("US-RC1-76-07839"
// → "USRC17607839"). Use it on both sides before comparing.
func NormalizeISRC(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		switch r {
		case 0, '-', '.', ' ', '\t', '_':
			return -1
		}
		return r
	}, s))
}

// numPair parses "3", "3/12" or "03 of 12".
func numPair(s string) (n, total int) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		a, b, _ = strings.Cut(s, " of ")
	}
	return atoi(a), atoi(b)
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// year takes the first four digits of dates like "2019", "2019-05-03" or
// "2019-05-03T10:00:00Z".
func year(s string) int {
	s = strings.TrimSpace(s)
	if len(s) < 4 {
		return 0
	}
	y := 0
	for _, c := range s[:4] {
		if c < '0' || c > '9' {
			return 0
		}
		y = y*10 + int(c-'0')
	}
	if len(s) > 4 && s[4] >= '0' && s[4] <= '9' {
		return 0
	}
	return y
}

// gain parses ReplayGain strings like "-6.54 dB" or "+1.20 dB".
func gain(s string) *float64 {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && strings.EqualFold(s[len(s)-2:], "db") {
		s = strings.TrimSpace(s[:len(s)-2])
	}
	return number(s)
}

func number(s string) *float64 {
	f, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(s), "+"), 64)
	if err != nil || f != f {
		return nil
	}
	return &f
}

// r128 converts an Opus R128 gain (Q7.8 dB relative to -23 LUFS) to a
// ReplayGain gain (relative to -18 LUFS): the reference is 5 dB louder.
func r128(s string) *float64 {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	g := float64(n)/256 + 5
	return &g
}
