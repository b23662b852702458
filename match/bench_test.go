package match

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

var words = strings.Fields(`love night heart dance fire rain summer dream baby girl boy time light dark blue
red gold river road home city star sky moon sun world life soul money crazy wild young forever tonight
never again alone together falling rising broken golden silver electric midnight morning paradise
heaven angel devil ghost shadow echo ocean desert mountain highway train window door kiss lie truth`)

var accents = []string{"é", "ö", "ñ", "ø", "ü", "ç"}

func synthName(rng *rand.Rand, n int) string {
	var b []string
	for i := 0; i < n; i++ {
		w := words[rng.Intn(len(words))]
		if rng.Intn(30) == 0 {
			w += accents[rng.Intn(len(accents))]
		}
		b = append(b, strings.ToUpper(w[:1])+w[1:])
	}
	return strings.Join(b, " ")
}

// synthLibrary makes n files by n/10 artists: realistic tag shapes,
// some untagged files, some titles shared by many artists ("Intro").
func synthLibrary(n int) []Local {
	rng := rand.New(rand.NewSource(1))
	artists := make([]string, n/10)
	for i := range artists {
		artists[i] = synthName(rng, 1+rng.Intn(3))
	}
	fmts := [][2]string{{"mp3", "mp3"}, {"flac", "flac"}, {"m4a", "aac"}, {"ogg", "vorbis"}}
	out := make([]Local, n)
	for i := range out {
		a := artists[rng.Intn(len(artists))]
		title := synthName(rng, 1+rng.Intn(4))
		if rng.Intn(200) == 0 {
			title = "Intro"
		}
		album := synthName(rng, 2)
		f := fmts[rng.Intn(len(fmts))]
		l := Local{ID: int64(i + 1), Format: f[0], Codec: f[1], DurationMs: int64(120000 + rng.Intn(300000)),
			Title: title, Artists: []string{a}, Album: album, AlbumArtist: a,
			Path: fmt.Sprintf("/music/%s/%s/%02d %s.%s", a, album, 1+rng.Intn(15), title, f[0])}
		switch rng.Intn(20) {
		case 0:
			l.Title, l.Artists, l.Album, l.AlbumArtist = "", nil, "", ""
			l.Unreadable = true
		case 1:
			l.Title += " (Live)"
		case 2:
			l.Title += " - Remastered"
		case 3:
			l.Artists = []string{a + " feat. " + artists[rng.Intn(len(artists))]}
		}
		if rng.Intn(3) == 0 {
			l.ISRC = fmt.Sprintf("USAB1%07d", i)
		}
		out[i] = l
	}
	return out
}

// synthTracks makes n Spotify tracks, 60% of which are in the library
// under Spotify's spelling.
func synthTracks(locals []Local, n int) []Remote {
	rng := rand.New(rand.NewSource(2))
	out := make([]Remote, n)
	for i := range out {
		if rng.Intn(10) < 6 {
			l := locals[rng.Intn(len(locals))]
			name := l.Title
			if name == "" {
				name = synthName(rng, 2)
			}
			if rng.Intn(4) == 0 {
				name += " - 2011 Remaster"
			}
			artists := l.Artists
			if len(artists) == 0 {
				artists = []string{synthName(rng, 2)}
			}
			out[i] = Remote{ID: fmt.Sprint(i), Kind: "track", Name: name, Artists: artists, Album: l.Album,
				DurationMs: l.DurationMs + int64(rng.Intn(2000)-1000), ISRC: l.ISRC}
			continue
		}
		out[i] = Remote{ID: fmt.Sprint(i), Kind: "track", Name: synthName(rng, 1+rng.Intn(4)), Artists: []string{synthName(rng, 2)},
			Album: synthName(rng, 2), DurationMs: int64(120000 + rng.Intn(300000))}
	}
	return out
}

func BenchmarkNewIndex100k(b *testing.B) {
	locals := synthLibrary(100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		NewIndex(locals, Options{})
	}
}

// BenchmarkMatch10kVs100k matches 10,000 playlist tracks against 100,000
// files, building the index included; one op is the whole run.
func BenchmarkMatch10kVs100k(b *testing.B) {
	locals := synthLibrary(100000)
	tracks := synthTracks(locals, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := NewIndex(locals, Options{})
		matched := 0
		for _, r := range tracks {
			if ix.Match(r, Override{}).Local != nil {
				matched++
			}
		}
		b.ReportMetric(float64(matched), "matched")
	}
}

// BenchmarkIncrementalAdd adds one new file and rematches the tracks that
// share a key with it, found through a key → tracks map as a store would
// keep it.
func BenchmarkIncrementalAdd(b *testing.B) {
	locals := synthLibrary(100000)
	tracks := synthTracks(locals, 10000)
	ix := NewIndex(locals, Options{})
	byKey := map[string][]int{}
	for i, r := range tracks {
		for _, k := range RemoteKeys(r) {
			byKey[k] = append(byKey[k], i)
		}
	}
	rng := rand.New(rand.NewSource(3))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := tracks[rng.Intn(len(tracks))]
		l := Local{ID: int64(1_000_000 + i), Path: fmt.Sprintf("/new/%d.flac", i), Format: "flac", Codec: "flac",
			DurationMs: t.DurationMs, Title: t.Name, Artists: t.Artists, Album: t.Album}
		ix.Add(l)
		for _, k := range LocalKeys(l) {
			for _, ti := range byKey[k] {
				ix.Match(tracks[ti], Override{})
			}
		}
	}
}
