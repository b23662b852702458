// Command gen writes match/testdata/labelled.json: Spotify tracks in the Web
// API's JSON shape, a library of local files with realistic tags and paths,
// and for each track the file that holds the same recording (or none).
//
//	go run ./match/testdata/gen -o match/testdata/labelled.json
//
// The library is shared by every track, as a listener's is, so a track can
// be wrongly matched to any file. Songs are real (metadata only); the
// variants are those Spotify and taggers produce.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"os"
	"strings"
	"unicode"
)

type local struct {
	ID            int64    `json:"id"`
	Path          string   `json:"path"`
	Format        string   `json:"format"`
	Codec         string   `json:"codec"`
	DurationMs    int64    `json:"duration_ms"`
	Title         string   `json:"title,omitempty"`
	Artists       []string `json:"artists,omitempty"`
	Album         string   `json:"album,omitempty"`
	AlbumArtist   string   `json:"album_artist,omitempty"`
	ISRC          string   `json:"isrc,omitempty"`
	MBRecordingID string   `json:"mb_recording_id,omitempty"`
	Unreadable    bool     `json:"unreadable,omitempty"`
}

type spArtist struct {
	ExternalURLs map[string]string `json:"external_urls"`
	Href         *string           `json:"href"`
	ID           *string           `json:"id"`
	Name         string            `json:"name"`
	Type         string            `json:"type"`
	URI          *string           `json:"uri"`
}

type spAlbum struct {
	AlbumType            *string    `json:"album_type"`
	Artists              []spArtist `json:"artists"`
	ExternalURLs         any        `json:"external_urls"`
	Href                 *string    `json:"href"`
	ID                   *string    `json:"id"`
	Images               []any      `json:"images"`
	Name                 string     `json:"name"`
	ReleaseDate          *string    `json:"release_date"`
	ReleaseDatePrecision *string    `json:"release_date_precision"`
	TotalTracks          int        `json:"total_tracks"`
	Type                 string     `json:"type"`
	URI                  *string    `json:"uri"`
}

type spTrack struct {
	Album        spAlbum           `json:"album"`
	Artists      []spArtist        `json:"artists"`
	DiscNumber   int               `json:"disc_number"`
	DurationMs   int64             `json:"duration_ms"`
	Explicit     bool              `json:"explicit"`
	ExternalIDs  map[string]string `json:"external_ids"`
	ExternalURLs map[string]string `json:"external_urls"`
	Href         *string           `json:"href"`
	ID           *string           `json:"id"`
	IsLocal      bool              `json:"is_local"`
	Name         string            `json:"name"`
	Popularity   int               `json:"popularity"`
	PreviewURL   *string           `json:"preview_url"`
	TrackNumber  int               `json:"track_number"`
	Type         string            `json:"type"`
	URI          string            `json:"uri"`
}

type labelledCase struct {
	Track spTrack  `json:"track"`
	Want  []string `json:"want"` // paths of acceptable files, best first; empty: no correct file
	Kind  string   `json:"kind"` // what the case exercises
}

type labelled struct {
	Locals []local        `json:"locals"`
	Cases  []labelledCase `json:"cases"`
}

var (
	rng  = rand.New(rand.NewSource(4))
	out  labelled
	home = "/home/ana/Music"
)

func ptr[T any](v T) *T { return &v }

func spotifyID() string {
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 22)
	for i := range b {
		b[i] = b62[rng.Intn(len(b62))]
	}
	return string(b)
}

func mbid() string {
	const h = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		b[i] = h[rng.Intn(16)]
	}
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return string(b)
}

func isrc(y int) string {
	cc := []string{"GB", "US", "DE", "FR", "JP", "SE", "KR", "ES"}[rng.Intn(8)]
	reg := []string{"UM7", "AYE", "EMI", "SM1", "WB1", "RC1", "A1B", "UV7"}[rng.Intn(8)]
	return fmt.Sprintf("%s%s%02d%05d", cc, reg, y%100, rng.Intn(99999))
}

func artists(names []string) []spArtist {
	var out []spArtist
	for _, n := range names {
		id := spotifyID()
		out = append(out, spArtist{ExternalURLs: map[string]string{"spotify": "https://open.spotify.com/artist/" + id},
			Href: ptr("https://api.spotify.com/v1/artists/" + id), ID: ptr(id), Name: n, Type: "artist", URI: ptr("spotify:artist:" + id)})
	}
	return out
}

// track builds a catalogue track as the Web API returns it.
func track(name string, arts []string, album, albumType string, albumArtists []string, year int, durMs int64, isrc string) spTrack {
	id, aid := spotifyID(), spotifyID()
	ext := map[string]string{}
	if isrc != "" {
		ext["isrc"] = isrc
	}
	return spTrack{
		Album: spAlbum{AlbumType: ptr(albumType), Artists: artists(albumArtists), ExternalURLs: map[string]string{"spotify": "https://open.spotify.com/album/" + aid},
			Href: ptr("https://api.spotify.com/v1/albums/" + aid), ID: ptr(aid), Images: []any{}, Name: album,
			ReleaseDate: ptr(fmt.Sprintf("%d-%02d-%02d", year, 1+rng.Intn(12), 1+rng.Intn(28))), ReleaseDatePrecision: ptr("day"),
			TotalTracks: 8 + rng.Intn(12), Type: "album", URI: ptr("spotify:album:" + aid)},
		Artists: artists(arts), DiscNumber: 1, DurationMs: durMs, Explicit: rng.Intn(5) == 0, ExternalIDs: ext,
		ExternalURLs: map[string]string{"spotify": "https://open.spotify.com/track/" + id}, Href: ptr("https://api.spotify.com/v1/tracks/" + id),
		ID: ptr(id), Name: name, Popularity: rng.Intn(90), TrackNumber: 1 + rng.Intn(12), Type: "track", URI: "spotify:track:" + id,
	}
}

// localTrack builds a Spotify local-file entry (is_local) as the Web API
// returns it: no ids, the file's tags, and a URI spelling them.
func localTrack(name string, arts []string, album string, durMs int64) spTrack {
	var sa []spArtist
	for _, a := range arts {
		sa = append(sa, spArtist{ExternalURLs: map[string]string{}, Name: a, Type: "artist"})
	}
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", "+"), ":", "%3A") }
	a0 := ""
	if len(arts) > 0 {
		a0 = arts[0]
	}
	return spTrack{Album: spAlbum{Artists: []spArtist{}, ExternalURLs: map[string]string{}, Images: []any{}, Name: album, Type: "album"},
		Artists: sa, DurationMs: durMs, ExternalIDs: map[string]string{}, ExternalURLs: map[string]string{}, IsLocal: true,
		Name: name, Type: "track", URI: fmt.Sprintf("spotify:local:%s:%s:%s:%d", esc(a0), esc(album), esc(name), durMs/1000)}
}

var nextID int64 = 1

func addLocal(l local) string {
	l.ID = nextID
	nextID++
	out.Locals = append(out.Locals, l)
	return l.Path
}

func addCase(t spTrack, kind string, want ...string) {
	out.Cases = append(out.Cases, labelledCase{Track: t, Want: want, Kind: kind})
}

// pathSafe spells a name the way rippers write it into a path.
func pathSafe(s string) string {
	r := strings.NewReplacer("/", "_", ":", " -", "?", "", "\"", "", "*", "", "<", "", ">", "", "|", "")
	return strings.TrimSpace(r.Replace(s))
}

// stripFeat removes Spotify's "(feat. X)" / "(with X)" from a title.
func stripFeat(t string) string {
	for _, p := range []string{" (feat. ", " (with "} {
		if i := strings.Index(t, p); i >= 0 {
			j := strings.Index(t[i:], ")")
			return t[:i] + t[i+j+1:]
		}
	}
	return t
}

func jitter(ms int64, spread int) int64 { return ms + int64(rng.Intn(2*spread+1)-spread) }

var formats = [][2]string{{"mp3", "mp3"}, {"mp3", "mp3"}, {"mp3", "mp3"}, {"flac", "flac"}, {"flac", "flac"}, {"m4a", "aac"}, {"m4a", "alac"}, {"ogg", "vorbis"}, {"opus", "opus"}}

// nativeArtist is how a tagger in the artist's own market spells them.
var nativeArtist = map[string]string{
	"Kenshi Yonezu": "米津玄師", "Hikaru Utada": "宇多田ヒカル", "Aimyon": "あいみょん", "Kino": "Кино", "Zemfira": "Земфира",
}

// romanised titles, as a Western tagger writes them.
var romanised = map[string]string{"夜に駆ける": "Yoru ni Kakeru", "マリーゴールド": "Marigold", "白日": "Hakujitsu", "밤편지": "Through the Night"}

var recs []*rec

type rec struct {
	s     song
	i     int
	isrc  string
	mbid  string
	durMs int64
	files []string // paths of files that hold the studio recording, best first
}

func main() {
	o := flag.String("o", "match/testdata/labelled.json", "output file")
	flag.Parse()
	for i, s := range catalogue {
		recs = append(recs, &rec{s: s, i: i, isrc: isrc(s.Y), mbid: mbid(), durMs: int64(s.D)*1000 + int64(rng.Intn(1000))})
	}
	for _, r := range recs {
		library(r)
	}
	for _, r := range recs {
		spotify(r)
	}
	decoys()
	f, err := os.Create(*o)
	if err != nil {
		log.Fatal(err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	none := 0
	for _, c := range out.Cases {
		if len(c.Want) == 0 {
			none++
		}
	}
	fmt.Printf("%d files, %d tracks, %d without a correct file (%.0f%%)\n", len(out.Locals), len(out.Cases), none, 100*float64(none)/float64(len(out.Cases)))
}

func absent(r *rec) bool { return r.i%7 == 3 }

// library adds the listener's files for one song.
func library(r *rec) {
	s := r.s
	if absent(r) {
		return
	}
	primary := s.A[0]
	title := stripFeat(s.T)
	feats := s.A[1:]
	fm := formats[rng.Intn(len(formats))]
	dur := jitter(r.durMs, 1500)
	l := local{Format: fm[0], Codec: fm[1], DurationMs: dur, Title: title, Artists: []string{primary}, Album: s.Al, AlbumArtist: primary}
	if rng.Intn(10) < 4 {
		l.ISRC = r.isrc
	}
	if rng.Intn(4) == 0 {
		l.MBRecordingID = r.mbid
	}
	if len(feats) > 0 {
		switch rng.Intn(4) {
		case 0:
			l.Artists = []string{primary + " feat. " + strings.Join(feats, " & ")}
		case 1:
			l.Artists = append([]string{primary}, feats...) // multi-valued tag
		case 2:
			l.Title = s.T // iTunes style: featured artists in the title
		case 3:
			l.Artists = []string{strings.Join(s.A, "; ")}
		}
	}
	if n, ok := nativeArtist[primary]; ok {
		l.Artists, l.AlbumArtist = []string{n}, n
		if rng.Intn(2) == 0 {
			l.ISRC = r.isrc
		} else {
			l.ISRC = ""
		}
	}
	if rt, ok := romanised[title]; ok && rng.Intn(2) == 0 {
		l.Title = rt
	}
	no := 1 + rng.Intn(12)
	ext := fm[0]
	dir := fmt.Sprintf("%s/%s/%s", home, pathSafe(l.AlbumArtist), pathSafe(s.Al))
	l.Path = fmt.Sprintf("%s/%02d %s.%s", dir, no, pathSafe(title), ext)
	style := r.i % 14
	switch style {
	case 1: // the same album in FLAC and MP3
		flac := l
		flac.Format, flac.Codec = "flac", "flac"
		flac.Path = fmt.Sprintf("%s/FLAC/%s/%s/%02d - %s.flac", home, pathSafe(primary), pathSafe(s.Al), no, pathSafe(title))
		mp3 := l
		mp3.Format, mp3.Codec = "mp3", "mp3"
		mp3.DurationMs = jitter(flac.DurationMs+26, 30)
		mp3.Path = fmt.Sprintf("%s/MP3/%s - %s/%02d %s.mp3", home, pathSafe(primary), pathSafe(s.Al), no, pathSafe(title))
		if rng.Intn(2) == 0 {
			mp3.ISRC = ""
		}
		r.files = []string{addLocal(flac)}
		addLocal(mp3)
		return
	case 2: // untagged "Artist - Title"
		l = local{Format: l.Format, Codec: l.Codec, DurationMs: l.DurationMs, Unreadable: rng.Intn(2) == 0,
			Path: fmt.Sprintf("%s/Unsorted/%s - %s.%s", home, pathSafe(primary), pathSafe(title), ext)}
	case 3: // untagged "Artist/Album/NN Title"
		l = local{Format: l.Format, Codec: l.Codec, DurationMs: l.DurationMs, Path: l.Path}
	case 4: // untagged "NN - Artist - Title"
		l = local{Format: l.Format, Codec: l.Codec, DurationMs: l.DurationMs, Unreadable: true,
			Path: fmt.Sprintf("/home/ana/Downloads/%02d - %s - %s.%s", no, pathSafe(strings.Join(s.A, ", ")), pathSafe(title), ext)}
	case 5: // from a compilation
		l.Album = []string{"Now That's What I Call Music! 45", "The Greatest Hits of the 80s", "Pure... Rock", "Ultimate Summer Hits", "Café del Mar Vol. 9"}[rng.Intn(5)]
		l.AlbumArtist = "Various Artists"
		l.Artists = []string{strings.Join(s.A, " & ")}
		l.Path = fmt.Sprintf("%s/Compilations/%s/%d-%02d %s - %s.%s", home, pathSafe(l.Album), 1+rng.Intn(2), no, pathSafe(primary), pathSafe(title), ext)
	case 6: // artist and title in the title tag
		l.Title = primary + " - " + title
		l.Artists = nil
		l.AlbumArtist = ""
	case 7: // album artist only
		l.Artists = nil
	case 8: // typographic spelling: curly quotes, full-width, upper case
		l.Title = strings.ReplaceAll(l.Title, "'", "’")
		if isASCIIUpperable(l.Title) && rng.Intn(2) == 0 {
			l.Title = strings.ToUpper(l.Title)
		} else {
			l.Title = fullWidth(l.Title)
		}
	case 9: // the file is the remaster
		l.Album = s.Al + " (2011 Remaster)"
		l.Title = title + " - Remastered 2011"
		l.ISRC = ""
	case 10: // lower case, no punctuation, "and" for "&"
		l.Title = strings.ToLower(strings.NewReplacer(".", "", "'", "", ",", "", "!", "", "?", "").Replace(l.Title))
		l.Artists = []string{strings.ReplaceAll(strings.ToLower(strings.Join(s.A, " & ")), "&", "and")}
	case 11: // deluxe edition with a year in brackets
		l.Album = s.Al + " [Deluxe Edition]"
		l.Title = l.Title + " (" + fmt.Sprint(s.Y) + ")"
	}
	r.files = []string{addLocal(l)}
}

func isASCIIUpperable(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// fullWidth spells ASCII letters and digits in their full-width forms, as
// some Japanese taggers do.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

var films = []string{"Guardians of the Galaxy", "Baby Driver", "Stranger Things", "Pulp Fiction", "Trainspotting", "The Breakfast Club", "Romeo + Juliet", "Lost in Translation"}

// spotify adds the Spotify tracks of one song: the original, the same
// recording on other releases, and near misses the listener has no file of.
func spotify(r *rec) {
	s := r.s
	kind := "original"
	if absent(r) {
		kind = "absent"
	}
	name, album, isrc, dur := s.T, s.Al, r.isrc, jitter(r.durMs, 400)
	switch (r.i / 3) % 4 {
	case 1:
		if s.Y < 2005 {
			name = []string{s.T + " - Remastered " + fmt.Sprint(s.Y+30), s.T + " - " + fmt.Sprint(s.Y+25) + " Remaster", s.T + " - Remastered"}[rng.Intn(3)]
			album = s.Al + " (Remastered)"
			isrc = isrcFor(s.Y + 30)
			dur = jitter(r.durMs, 1800)
			kind = "remaster"
		}
	case 2:
		album = s.Al + " (Deluxe Edition)"
		kind = "deluxe"
	case 3:
		album = stripFeat(s.T)
		kind = "single"
	}
	addCase(track(name, s.A, album, "album", s.A[:1], s.Y, dur, isrc), kind, r.files...)
	if absent(r) {
		nearMiss(r)
		return
	}
	if r.i%5 == 0 { // the same recording on a compilation: another Spotify id
		addCase(track(s.T, s.A, fmt.Sprintf("Hits of the %d0s", s.Y%100/10), "compilation", []string{"Various Artists"}, s.Y+20, jitter(r.durMs, 300), r.isrc), "compilation", r.files...)
	}
	if r.i%13 == 5 {
		f := films[rng.Intn(len(films))]
		addCase(track(stripFeat(s.T)+" - From \""+f+"\" Soundtrack", s.A, f+" (Original Motion Picture Soundtrack)", "compilation", []string{"Various Artists"}, s.Y, jitter(r.durMs, 500), r.isrc), "soundtrack", r.files...)
	}
	if r.i%10 == 4 { // a Spotify local file pointing at the listener's own file
		l := findLocal(r.files[0])
		if l.Title != "" {
			addCase(localTrack(l.Title, l.Artists, l.Album, l.DurationMs), "spotify-local", r.files...)
		} else {
			stem := l.Path[strings.LastIndex(l.Path, "/")+1 : strings.LastIndex(l.Path, ".")]
			addCase(localTrack(stem, nil, "", l.DurationMs), "spotify-local-untagged", r.files...)
		}
	}
	if r.i%10 == 9 { // a Spotify local file the listener no longer has
		addCase(localTrack(stripFeat(s.T)+" (Bootleg Mix)", s.A[:1], "Mixtape "+fmt.Sprint(s.Y), jitter(r.durMs, 60000)+30000), "spotify-local-missing")
	}
	variants(r)
	nearMiss(r)
}

func isrcFor(y int) string { return isrc(y) }

func findLocal(p string) local {
	for _, l := range out.Locals {
		if l.Path == p {
			return l
		}
	}
	panic(p)
}

// variants adds versions the listener does have besides the original: a
// live recording and a radio edit, each with a Spotify track asking for it.
func variants(r *rec) {
	s := r.s
	title := stripFeat(s.T)
	dir := fmt.Sprintf("%s/%s/Live", home, pathSafe(s.A[0]))
	switch r.i % 9 {
	case 1:
		d := r.durMs + int64(rng.Intn(40000)) - 5000
		p := addLocal(local{Format: "mp3", Codec: "mp3", DurationMs: d, Title: title + " [Live]", Artists: s.A[:1], Album: "Live at the BBC", AlbumArtist: s.A[0],
			Path: fmt.Sprintf("%s/%s (Live).mp3", dir, pathSafe(title))})
		addCase(track(title+" - Live", s.A[:1], "Live at the BBC", "album", s.A[:1], s.Y+10, jitter(d, 1200), isrc(s.Y+10)), "live-both", p)
	case 6:
		d := r.durMs - 40000 - int64(rng.Intn(20000))
		p := addLocal(local{Format: "flac", Codec: "flac", DurationMs: d, Title: title + " (Radio Edit)", Artists: s.A, Album: title, AlbumArtist: s.A[0],
			Path: fmt.Sprintf("%s/%s/%s - Single/01 %s (Radio Edit).flac", home, pathSafe(s.A[0]), pathSafe(title), pathSafe(title))})
		addCase(track(title+" - Radio Edit", s.A, title, "single", s.A[:1], s.Y, jitter(d, 900), isrc(s.Y)), "radio-edit-both", p)
	}
}

var covers = []string{"Postmodern Jukebox", "Boyce Avenue", "Vitamin String Quartet", "The Piano Guys", "Scala & Kolacny Brothers", "Walk off the Earth"}

// nearMiss adds a Spotify track that looks like the song but is another
// recording, of which the listener has no file.
func nearMiss(r *rec) {
	s := r.s
	if r.i%3 == 2 {
		return
	}
	title := stripFeat(s.T)
	close := rng.Intn(3) == 0 // durations within the tolerance: only the title can tell
	d := func(far int64) int64 {
		if close {
			return jitter(r.durMs, 2000)
		}
		return r.durMs + far + int64(rng.Intn(20000))
	}
	kinds := []string{"live", "remix", "acoustic", "instrumental", "karaoke", "rerecord", "radio-edit", "other-edit", "cover", "demo", "year-version", "live-paren"}
	k := kinds[(r.i/3+r.i)%len(kinds)]
	if r.i%9 == 1 && (k == "live" || k == "live-paren") {
		k = "remix"
	}
	if r.i%9 == 6 && k == "radio-edit" {
		k = "acoustic"
	}
	var t spTrack
	switch k {
	case "live":
		venue := []string{"Live at Wembley Stadium", "Live", "Live from Madison Square Garden", "Live at Glastonbury 2004", "Live In Paris / 1985"}[rng.Intn(5)]
		t = track(title+" - "+venue, s.A[:1], "Live Anthology", "album", s.A[:1], s.Y+12, d(15000), isrc(s.Y+12))
	case "live-paren":
		t = track(title+" (Live)", s.A[:1], "MTV Unplugged", "album", s.A[:1], s.Y+8, d(-20000), isrc(s.Y+8))
	case "remix":
		rx := []string{"Purple Disco Machine Remix", "Remix", "Kygo Remix", "Club Mix", "Extended Mix", "Dub Mix"}[rng.Intn(6)]
		t = track(title+" - "+rx, append(s.A[:1:1], "Purple Disco Machine"), title+" (Remixes)", "single", s.A[:1], s.Y+5, d(60000), isrc(s.Y+5))
	case "acoustic":
		t = track(title+" - Acoustic", s.A, title+" (Acoustic)", "single", s.A[:1], s.Y+1, d(-15000), isrc(s.Y+1))
	case "instrumental":
		t = track(title+" - Instrumental", s.A[:1], s.Al+" (Instrumentals)", "album", s.A[:1], s.Y, jitter(r.durMs, 1500), isrc(s.Y))
	case "karaoke":
		t = track(title+" (Originally Performed by "+s.A[0]+") [Karaoke Version]", []string{"Sing King"}, "Karaoke Hits", "compilation", []string{"Sing King"}, 2015, jitter(r.durMs, 2500), isrc(2015))
	case "rerecord":
		n := title + " - 2016 Version"
		if s.A[0] == "Taylor Swift" || rng.Intn(2) == 0 {
			n = title + " (Taylor's Version)"
			if s.A[0] != "Taylor Swift" {
				n = title + " - Re-Recorded"
			}
		}
		t = track(n, s.A, s.Al+" (Re-Recorded)", "album", s.A[:1], 2021, jitter(r.durMs, 2500), isrc(2021))
	case "radio-edit":
		t = track(title+" - Radio Edit", s.A, title, "single", s.A[:1], s.Y, r.durMs-35000-int64(rng.Intn(30000)), isrc(s.Y))
	case "other-edit": // a single edit that Spotify does not label
		t = track(s.T, s.A, title, "single", s.A[:1], s.Y, r.durMs-12000-int64(rng.Intn(40000)), isrc(s.Y))
	case "cover":
		c := covers[rng.Intn(len(covers))]
		t = track(title, []string{c}, "Covers, Vol. "+fmt.Sprint(1+rng.Intn(4)), "album", []string{c}, 2016, jitter(r.durMs, 2500), isrc(2016))
	case "demo":
		t = track(title+" - Demo", s.A[:1], s.Al+" (Super Deluxe)", "album", s.A[:1], s.Y+30, d(-30000), isrc(s.Y+30))
	case "year-version":
		t = track(fmt.Sprintf("%s - %d Version", title, s.Y+20), s.A[:1], "Reimagined", "album", s.A[:1], s.Y+20, jitter(r.durMs, 2500), isrc(s.Y+20))
	}
	addCase(t, "near-miss-"+k)
}

// decoys adds files that look like a song the listener has no file of, and
// Spotify tracks whose only look-alike in the library is another recording.
func decoys() {
	for _, r := range []int{3, 10, 17, 24, 31, 38, 45, 52, 59, 66, 73, 80, 87, 94, 101, 108, 115, 122, 129, 136, 143, 150, 157, 164} {
		if r >= len(catalogue) {
			continue
		}
		s := catalogue[r]
		title := stripFeat(s.T)
		d := int64(s.D)*1000 + int64(rng.Intn(3000))
		var l local
		switch r % 4 {
		case 0: // a live file mistagged with the studio ISRC of the Spotify track
			l = local{Title: title + " (Live)", Artists: s.A[:1], Album: "Live 1999", DurationMs: d + 4000, ISRC: recs[r].isrc}
		case 1:
			l = local{Title: title + " (Remix)", Artists: s.A[:1], Album: title + " Remixes", DurationMs: d + 50000}
		case 2:
			l = local{Title: title + " (Off Vocal)", Artists: s.A[:1], Album: title, DurationMs: d}
		case 3:
			c := covers[rng.Intn(len(covers))]
			l = local{Title: title, Artists: []string{c}, Album: "Covers", AlbumArtist: c, DurationMs: d}
		}
		l.Format, l.Codec = "mp3", "mp3"
		l.Path = fmt.Sprintf("%s/%s/%s/%s.mp3", home, pathSafe(l.Artists[0]), pathSafe(l.Album), pathSafe(l.Title))
		addLocal(l)
	}
	// Files by other artists sharing a common title.
	for _, t := range []struct{ a, t string }{{"Kanye West", "Intro"}, {"Alt-J", "Intro"}, {"M83", "Intro"}, {"Bon Jovi", "Hallelujah"}, {"Pentatonix", "Hallelujah"}, {"Adele", "Hometown Glory"}, {"Lionel Richie", "All Night Long (All Night)"}} {
		addLocal(local{Format: "flac", Codec: "flac", DurationMs: int64(120000 + rng.Intn(200000)), Title: t.t, Artists: []string{t.a}, Album: "Misc", AlbumArtist: t.a,
			Path: fmt.Sprintf("%s/%s/Misc/%s.flac", home, pathSafe(t.a), pathSafe(t.t))})
	}
	// A radio edit mistagged with the album version's ISRC.
	for _, l := range append([]local(nil), out.Locals...) {
		if l.ISRC != "" && rng.Intn(6) == 0 && !strings.Contains(l.Title, "Live") {
			e := l
			e.DurationMs -= 38000
			e.Path = strings.TrimSuffix(l.Path, "."+l.Format) + " (edit)." + l.Format
			e.Title = l.Title
			addLocal(e)
		}
	}
}
