package spotifytest

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Demo is generated library data: playlists drawing on a shared catalogue
// (as real playlists overlap), Liked Songs, and one editorial playlist the
// user follows but may not read (Forbidden).
type Demo struct {
	Playlists []Playlist
	Liked     []Item
}

// NewDemo generates playlists playlists of items entries each (plus one
// Forbidden editorial playlist) and liked Liked Songs, the same for the
// same arguments. About one entry in 100 is a local file, one in 250 a
// podcast episode and one in 500 null.
func NewDemo(playlists, items, liked int) Demo {
	rng := rand.New(rand.NewPCG(uint64(playlists), uint64(items)))
	cat := catalogue(rng, max(500, playlists*items/4))
	show := Show{ID: base62(rng), Name: "The Tapedeck Hour", Publisher: "Tapedeck Radio"}
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * 7 * time.Hour) }

	var d Demo
	for p := range playlists {
		pl := Playlist{ID: base62(rng), Name: fmt.Sprintf("Demo playlist %d", p+1), Public: p%3 == 0, Collaborative: p%10 == 9}
		pl.Items = make([]Item, items)
		for i := range pl.Items {
			it := Item{AddedAt: at(i)}
			switch n := i + 1; {
			case n%500 == 0:
			case n%250 == 0:
				it.Episode = &Episode{ID: base62(rng), Name: fmt.Sprintf("Episode %d", n), Description: "A demo episode.",
					DurationMs: 1800000 + rng.IntN(1800000), ReleaseDate: at(i).Format(time.DateOnly), Show: show}
			case n%100 == 0:
				it.Local = &LocalFile{Name: fmt.Sprintf("Home Recording %d", n), Artist: "My Band", Album: "Garage Tapes", DurationMs: 60000 + rng.IntN(240000)}
			default:
				it.Track = cat[rng.IntN(len(cat))]
			}
			pl.Items[i] = it
		}
		d.Playlists = append(d.Playlists, pl)
	}
	editorial := Playlist{ID: "37i9dQZF1DXcBWIGoYBM5M", Name: "Today's Top Hits", OwnerID: "spotify", OwnerName: "Spotify", Public: true, Forbidden: true}
	for i := range min(items, 50) {
		editorial.Items = append(editorial.Items, Item{AddedAt: at(i), Track: cat[rng.IntN(len(cat))]})
	}
	d.Playlists = append(d.Playlists, editorial)
	for i := range liked {
		d.Liked = append(d.Liked, Item{AddedAt: at(liked - i), Track: cat[rng.IntN(len(cat))]})
	}
	return d
}

// LoadDemo adds NewDemo's playlists and Liked Songs to the server.
func (s *Server) LoadDemo(playlists, items, liked int) Demo {
	d := NewDemo(playlists, items, liked)
	for _, p := range d.Playlists {
		s.AddPlaylist(p)
	}
	s.SetLiked(d.Liked)
	return d
}

var (
	demoWords = []string{"Midnight", "Echo", "Paper", "Satellite", "Golden", "River", "Neon", "Static", "Velvet", "Winter",
		"Signal", "Harbor", "Glass", "Electric", "Quiet", "Wild", "Silver", "Ocean", "Radio", "Summer"}
	demoNouns = []string{"Hearts", "Lights", "Roads", "Dreams", "Machines", "Birds", "Waves", "Cities", "Ghosts", "Tapes"}
)

// catalogue makes n tracks by n/10 artists on n/8 albums.
func catalogue(rng *rand.Rand, n int) []*Track {
	artists := make([]Artist, max(n/10, 1))
	for i := range artists {
		artists[i] = Artist{ID: base62(rng), Name: "The " + demoWords[rng.IntN(len(demoWords))] + " " + demoNouns[rng.IntN(len(demoNouns))]}
	}
	albums := make([]Album, max(n/8, 1))
	for i := range albums {
		a := artists[rng.IntN(len(artists))]
		albums[i] = Album{ID: base62(rng), Name: demoWords[rng.IntN(len(demoWords))] + " " + demoNouns[rng.IntN(len(demoNouns))],
			ReleaseDate: fmt.Sprintf("%d-%02d-%02d", 1970+rng.IntN(56), 1+rng.IntN(12), 1+rng.IntN(28)),
			Artists:     []Artist{a}, TotalTracks: 12}
	}
	tracks := make([]*Track, n)
	for i := range tracks {
		al := albums[rng.IntN(len(albums))]
		tracks[i] = &Track{
			ID: base62(rng), Name: demoWords[rng.IntN(len(demoWords))] + " " + demoNouns[rng.IntN(len(demoNouns))],
			Artists: al.Artists, Album: al, DurationMs: 120000 + rng.IntN(240000),
			ISRC:     fmt.Sprintf("QZ%s%02d%05d", "TD", rng.IntN(100), i%100000),
			Explicit: rng.IntN(10) == 0, DiscNumber: 1, TrackNumber: 1 + rng.IntN(12), Popularity: rng.IntN(100),
		}
	}
	return tracks
}

const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62 makes a 22-character ID like Spotify's.
func base62(rng *rand.Rand) string {
	b := make([]byte, 22)
	for i := range b {
		b[i] = base62Digits[rng.IntN(len(base62Digits))]
	}
	return string(b)
}
