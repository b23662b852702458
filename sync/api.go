package sync

import (
	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/media"
)

// The Web API's JSON, decoded by hand where zmb3/spotify/v2 falls short:
// since February 2026 an entry's object is under "item" (the deprecated
// "track" key may still come), and "is_local" entries have no ids.

type page[T any] struct {
	Items  []T     `json:"items"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
	Total  int     `json:"total"`
	Next   *string `json:"next"`
}

type apiRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

type apiCount struct {
	Total int `json:"total"`
}

type apiPlaylist struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	SnapshotID    string    `json:"snapshot_id"`
	Owner         apiRef    `json:"owner"`
	Public        *bool     `json:"public"`
	Collaborative bool      `json:"collaborative"`
	Items         *apiCount `json:"items"`  // 2026
	Tracks        *apiCount `json:"tracks"` // before 2026
}

func (p apiPlaylist) total() int {
	switch {
	case p.Items != nil:
		return p.Items.Total
	case p.Tracks != nil:
		return p.Tracks.Total
	}
	return 0
}

// apiEntry is a playlist track object or a saved track object.
type apiEntry struct {
	AddedAt string    `json:"added_at"`
	AddedBy *apiRef   `json:"added_by"`
	IsLocal bool      `json:"is_local"`
	Item    *apiTrack `json:"item"`  // since 2026; null for an unavailable entry
	Track   *apiTrack `json:"track"` // deprecated, may still come
}

type apiTrack struct {
	ID          *string  `json:"id"`
	URI         string   `json:"uri"`
	Type        string   `json:"type"`
	Name        string   `json:"name"`
	Artists     []apiRef `json:"artists"`
	DurationMs  int64    `json:"duration_ms"`
	Explicit    bool     `json:"explicit"`
	DiscNumber  int      `json:"disc_number"`
	TrackNumber int      `json:"track_number"`
	IsLocal     bool     `json:"is_local"`
	ExternalIDs struct {
		ISRC string `json:"isrc"`
	} `json:"external_ids"`
	Album *struct {
		ID          *string  `json:"id"`
		Name        string   `json:"name"`
		ReleaseDate string   `json:"release_date"`
		Artists     []apiRef `json:"artists"`
	} `json:"album"`
	Show *struct {
		Name string `json:"name"`
	} `json:"show"`
}

// track converts an entry; nil means an unavailable entry (null item).
func (e apiEntry) track() *cache.SpotifyTrack {
	t := e.Item
	if t == nil {
		t = e.Track
	}
	if t == nil {
		return nil
	}
	out := &cache.SpotifyTrack{
		URI: t.URI, Kind: "track", Name: t.Name, Artists: refs(t.Artists), DurationMs: t.DurationMs,
		ISRC: media.NormalizeISRC(t.ExternalIDs.ISRC), Explicit: t.Explicit, DiscNumber: t.DiscNumber, TrackNumber: t.TrackNumber,
	}
	if t.ID != nil {
		out.ID = *t.ID
	}
	if t.Album != nil {
		out.AlbumName, out.AlbumReleaseDate, out.AlbumArtists = t.Album.Name, t.Album.ReleaseDate, refs(t.Album.Artists)
		if t.Album.ID != nil {
			out.AlbumID = *t.Album.ID
		}
	}
	switch {
	case t.Type == "episode":
		out.Kind = "episode"
		if t.Show != nil {
			out.ShowName = t.Show.Name
		}
	case e.IsLocal || t.IsLocal || out.ID == "":
		// Local files have no Spotify id; their URI
		// (spotify:local:artist:album:title:seconds) identifies them.
		out.Kind = "local"
		out.ID = "local:" + t.URI
	}
	if out.URI == "" && out.ID == "" {
		return nil
	}
	return out
}

func refs(in []apiRef) []cache.Artist {
	out := make([]cache.Artist, 0, len(in))
	for _, a := range in {
		out = append(out, cache.Artist{ID: a.ID, Name: a.Name})
	}
	return out
}
