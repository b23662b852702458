package spotifytest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"
)

// User is the account the fake is logged in as.
type User struct {
	ID          string
	DisplayName string
	// Country, Email and Product are only sent when Server.ExtendedQuota is
	// set: since February 2026 dev-mode apps no longer receive them.
	Country string
	Email   string
	Product string
}

// Playlist is one playlist of the user's library (GET /v1/me/playlists).
type Playlist struct {
	ID            string
	Name          string
	Description   string
	OwnerID       string // defaults to the user's ID
	OwnerName     string // defaults to the user's display name
	Public        bool
	Collaborative bool
	// SnapshotID is computed from the content when empty, so it changes
	// whenever the playlist does.
	SnapshotID string
	Items      []Item
	// Forbidden makes /items answer 403 and GET /v1/playlists/{id} omit the
	// entries, as dev-mode apps get for playlists the user neither owns nor
	// collaborates on (editorial playlists, for example).
	Forbidden bool
}

// Item is one entry of a playlist or of Liked Songs. Exactly one of Track,
// Episode and Local is set; none set makes a null entry (a track Spotify
// has since removed from its catalogue).
type Item struct {
	AddedAt time.Time // zero: added_at and added_by are null (very old playlists)
	AddedBy string    // user ID; defaults to the playlist owner
	Track   *Track
	Episode *Episode
	Local   *LocalFile
}

// Track is a Spotify catalogue track.
type Track struct {
	ID          string
	Name        string
	Artists     []Artist
	Album       Album
	DurationMs  int
	ISRC        string
	Explicit    bool
	DiscNumber  int
	TrackNumber int
	Popularity  int // only sent when Server.ExtendedQuota is set
}

// Artist is a simplified artist.
type Artist struct {
	ID   string
	Name string
}

// Album is a simplified album.
type Album struct {
	ID          string
	Name        string
	ReleaseDate string // "2021", "2021-03" or "2021-03-05"; the precision follows
	Artists     []Artist
	AlbumType   string // "album" when empty
	TotalTracks int
}

// Episode is a podcast episode.
type Episode struct {
	ID          string
	Name        string
	Description string
	DurationMs  int
	ReleaseDate string
	Explicit    bool
	Show        Show
}

// Show is the podcast an episode belongs to.
type Show struct {
	ID        string
	Name      string
	Publisher string // only sent when Server.ExtendedQuota is set
}

// LocalFile is a file the user added to a playlist from their own disk in
// the Spotify app: it has no IDs, only the tags.
type LocalFile struct {
	Name       string
	Artist     string
	Album      string
	DurationMs int
}

// snapshot derives a Spotify-looking snapshot ID (32 base64 characters)
// from everything a client could see of the playlist.
func snapshot(p *Playlist) string {
	h := sha256.New()
	str := func(ss ...string) {
		for _, s := range ss {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	num := func(ns ...int64) {
		for _, n := range ns {
			h.Write(binary.LittleEndian.AppendUint64(nil, uint64(n)))
		}
	}
	str(p.Name, p.Description, p.OwnerID, p.OwnerName, fmt.Sprint(p.Public, p.Collaborative, p.Forbidden))
	for _, it := range p.Items {
		num(it.AddedAt.UnixNano())
		str(it.AddedBy)
		switch {
		case it.Track != nil:
			t := it.Track
			str("t", t.ID, t.Name, t.Album.ID, t.Album.Name, t.Album.ReleaseDate, t.ISRC)
			num(int64(t.DurationMs), int64(t.DiscNumber), int64(t.TrackNumber))
			for _, a := range t.Artists {
				str(a.ID, a.Name)
			}
		case it.Episode != nil:
			str("e", it.Episode.ID, it.Episode.Name, it.Episode.Show.ID)
		case it.Local != nil:
			l := it.Local
			str("l", l.Name, l.Artist, l.Album)
			num(int64(l.DurationMs))
		default:
			str("n")
		}
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)[:24])
}
