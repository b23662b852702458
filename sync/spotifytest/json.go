package spotifytest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The types below mirror Spotify's objects field for field, in the order
// Spotify sends them (alphabetical). Pointers are fields Spotify sends as
// null; omitempty marks fields it sends only in some contexts.

type errorJSON struct {
	Error struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"error"`
}

type externalURLs struct {
	Spotify string `json:"spotify,omitempty"`
}

type imageJSON struct {
	Height *int   `json:"height"`
	URL    string `json:"url"`
	Width  *int   `json:"width"`
}

type followersJSON struct {
	Href  *string `json:"href"`
	Total int     `json:"total"`
}

type explicitContentJSON struct {
	FilterEnabled bool `json:"filter_enabled"`
	FilterLocked  bool `json:"filter_locked"`
}

type meJSON struct {
	Country         string               `json:"country,omitempty"`
	DisplayName     string               `json:"display_name"`
	Email           string               `json:"email,omitempty"`
	ExplicitContent *explicitContentJSON `json:"explicit_content,omitempty"`
	ExternalURLs    externalURLs         `json:"external_urls"`
	Followers       *followersJSON       `json:"followers,omitempty"`
	Href            string               `json:"href"`
	ID              string               `json:"id"`
	Images          []imageJSON          `json:"images"`
	Product         string               `json:"product,omitempty"`
	Type            string               `json:"type"`
	URI             string               `json:"uri"`
}

// userRefJSON is a playlist's owner (with display_name) or an entry's
// added_by (without).
type userRefJSON struct {
	DisplayName  *string      `json:"display_name,omitempty"`
	ExternalURLs externalURLs `json:"external_urls"`
	Href         string       `json:"href"`
	ID           string       `json:"id"`
	Type         string       `json:"type"`
	URI          string       `json:"uri"`
}

type artistJSON struct {
	ExternalURLs externalURLs `json:"external_urls"`
	Href         *string      `json:"href"`
	ID           *string      `json:"id"`
	Name         string       `json:"name"`
	Type         string       `json:"type"`
	URI          *string      `json:"uri"`
}

type albumJSON struct {
	AlbumType            *string      `json:"album_type"`
	Artists              []artistJSON `json:"artists"`
	ExternalURLs         externalURLs `json:"external_urls"`
	Href                 *string      `json:"href"`
	ID                   *string      `json:"id"`
	Images               []imageJSON  `json:"images"`
	Name                 string       `json:"name"`
	ReleaseDate          *string      `json:"release_date"`
	ReleaseDatePrecision *string      `json:"release_date_precision"`
	TotalTracks          *int         `json:"total_tracks,omitempty"`
	Type                 string       `json:"type"`
	URI                  *string      `json:"uri"`
}

type externalIDs struct {
	ISRC string `json:"isrc,omitempty"`
}

type trackJSON struct {
	Album        albumJSON    `json:"album"`
	Artists      []artistJSON `json:"artists"`
	DiscNumber   int          `json:"disc_number"`
	DurationMs   int          `json:"duration_ms"`
	Episode      *bool        `json:"episode,omitempty"`
	Explicit     bool         `json:"explicit"`
	ExternalIDs  externalIDs  `json:"external_ids"`
	ExternalURLs externalURLs `json:"external_urls"`
	Href         *string      `json:"href"`
	ID           *string      `json:"id"`
	IsLocal      bool         `json:"is_local"`
	IsPlayable   *bool        `json:"is_playable,omitempty"`
	Name         string       `json:"name"`
	Popularity   *int         `json:"popularity,omitempty"`
	PreviewURL   *string      `json:"preview_url"`
	Track        *bool        `json:"track,omitempty"`
	TrackNumber  int          `json:"track_number"`
	Type         string       `json:"type"`
	URI          string       `json:"uri"`
}

type showJSON struct {
	Copyrights         []string     `json:"copyrights"`
	Description        string       `json:"description"`
	Explicit           bool         `json:"explicit"`
	ExternalURLs       externalURLs `json:"external_urls"`
	Href               string       `json:"href"`
	HTMLDescription    string       `json:"html_description"`
	ID                 string       `json:"id"`
	Images             []imageJSON  `json:"images"`
	IsExternallyHosted bool         `json:"is_externally_hosted"`
	Languages          []string     `json:"languages"`
	MediaType          string       `json:"media_type"`
	Name               string       `json:"name"`
	Publisher          string       `json:"publisher,omitempty"`
	Type               string       `json:"type"`
	URI                string       `json:"uri"`
}

type episodeJSON struct {
	AudioPreviewURL      *string      `json:"audio_preview_url"`
	Description          string       `json:"description"`
	DurationMs           int          `json:"duration_ms"`
	Episode              *bool        `json:"episode,omitempty"`
	Explicit             bool         `json:"explicit"`
	ExternalURLs         externalURLs `json:"external_urls"`
	Href                 string       `json:"href"`
	HTMLDescription      string       `json:"html_description"`
	ID                   string       `json:"id"`
	Images               []imageJSON  `json:"images"`
	IsExternallyHosted   bool         `json:"is_externally_hosted"`
	IsPlayable           bool         `json:"is_playable"`
	Language             string       `json:"language"`
	Languages            []string     `json:"languages"`
	Name                 string       `json:"name"`
	ReleaseDate          string       `json:"release_date"`
	ReleaseDatePrecision string       `json:"release_date_precision"`
	Show                 showJSON     `json:"show"`
	Track                *bool        `json:"track,omitempty"`
	Type                 string       `json:"type"`
	URI                  string       `json:"uri"`
}

type thumbnailJSON struct {
	URL *string `json:"url"`
}

// entryJSON is a playlist track object.
type entryJSON struct {
	AddedAt        *string       `json:"added_at"`
	AddedBy        *userRefJSON  `json:"added_by"`
	IsLocal        bool          `json:"is_local"`
	Item           *any          `json:"item,omitempty"`
	PrimaryColor   *string       `json:"primary_color"`
	Track          *any          `json:"track,omitempty"`
	VideoThumbnail thumbnailJSON `json:"video_thumbnail"`
}

type savedTrackJSON struct {
	AddedAt string    `json:"added_at"`
	Track   trackJSON `json:"track"`
}

type pagingJSON[T any] struct {
	Href     string  `json:"href"`
	Items    []T     `json:"items"`
	Limit    int     `json:"limit"`
	Next     *string `json:"next"`
	Offset   int     `json:"offset"`
	Previous *string `json:"previous"`
	Total    int     `json:"total"`
}

type refJSON struct {
	Href  string `json:"href"`
	Total int    `json:"total"`
}

type simplePlaylistJSON struct {
	Collaborative bool         `json:"collaborative"`
	Description   string       `json:"description"`
	ExternalURLs  externalURLs `json:"external_urls"`
	Href          string       `json:"href"`
	ID            string       `json:"id"`
	Images        []imageJSON  `json:"images"`
	Items         *refJSON     `json:"items,omitempty"`
	Name          string       `json:"name"`
	Owner         userRefJSON  `json:"owner"`
	PrimaryColor  *string      `json:"primary_color"`
	Public        bool         `json:"public"`
	SnapshotID    string       `json:"snapshot_id"`
	Tracks        *refJSON     `json:"tracks,omitempty"`
	Type          string       `json:"type"`
	URI           string       `json:"uri"`
}

type playlistJSON struct {
	Collaborative bool                   `json:"collaborative"`
	Description   string                 `json:"description"`
	ExternalURLs  externalURLs           `json:"external_urls"`
	Followers     followersJSON          `json:"followers"`
	Href          string                 `json:"href"`
	ID            string                 `json:"id"`
	Images        []imageJSON            `json:"images"`
	Items         *pagingJSON[entryJSON] `json:"items,omitempty"`
	Name          string                 `json:"name"`
	Owner         userRefJSON            `json:"owner"`
	PrimaryColor  *string                `json:"primary_color"`
	Public        bool                   `json:"public"`
	SnapshotID    string                 `json:"snapshot_id"`
	Tracks        *pagingJSON[entryJSON] `json:"tracks,omitempty"`
	Type          string                 `json:"type"`
	URI           string                 `json:"uri"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types always marshal
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeError sends Spotify's Web API error object.
func writeError(w http.ResponseWriter, status int, msg string) {
	var e errorJSON
	e.Error.Status, e.Error.Message = status, msg
	writeJSON(w, status, e)
}

func ptr[T any](v T) *T { return &v }

func openURL(kind, id string) externalURLs {
	return externalURLs{Spotify: "https://open.spotify.com/" + kind + "/" + id}
}

// spotifyTime is Spotify's timestamp format: UTC, whole seconds.
func spotifyTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// coverImages makes cover art URLs that look like Spotify's CDN (they are
// never fetched).
func coverImages(seed string, sizes ...int) []imageJSON {
	imgs := make([]imageJSON, len(sizes))
	for i, n := range sizes {
		imgs[i] = imageJSON{Height: ptr(n), URL: "https://i.scdn.co/image/ab67616d0000" + strconv.Itoa(n) + shortHash(seed), Width: ptr(n)}
	}
	return imgs
}

func shortHash(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:12])
}

func precision(date string) string {
	switch strings.Count(date, "-") {
	case 0:
		return "year"
	case 1:
		return "month"
	}
	return "day"
}

// render turns the fake's data into Spotify's objects, with hrefs on this
// server.
type render struct {
	api      string // the server's APIURL
	extended bool
}

func (x render) userRef(id, name string, withName bool) userRefJSON {
	u := userRefJSON{ExternalURLs: openURL("user", id), Href: x.api + "/users/" + id, ID: id, Type: "user", URI: "spotify:user:" + id}
	if withName {
		u.DisplayName = &name
	}
	return u
}

func (x render) me(u User) meJSON {
	m := meJSON{
		DisplayName: u.DisplayName, ExternalURLs: openURL("user", u.ID), Href: x.api + "/users/" + u.ID,
		ID: u.ID, Images: []imageJSON{}, Type: "user", URI: "spotify:user:" + u.ID,
	}
	if x.extended {
		m.Country, m.Email, m.Product = u.Country, u.Email, u.Product
		m.ExplicitContent = &explicitContentJSON{}
		m.Followers = &followersJSON{}
	}
	return m
}

func (x render) artists(as []Artist) []artistJSON {
	out := make([]artistJSON, len(as))
	for i, a := range as {
		out[i] = artistJSON{
			ExternalURLs: openURL("artist", a.ID), Href: ptr(x.api + "/artists/" + a.ID), ID: ptr(a.ID),
			Name: a.Name, Type: "artist", URI: ptr("spotify:artist:" + a.ID),
		}
	}
	return out
}

func (x render) track(t *Track, inPlaylist bool) trackJSON {
	al := t.Album
	albumType := al.AlbumType
	if albumType == "" {
		albumType = "album"
	}
	total := al.TotalTracks
	if total == 0 {
		total = max(t.TrackNumber, 1)
	}
	j := trackJSON{
		Album: albumJSON{
			AlbumType: &albumType, Artists: x.artists(al.Artists), ExternalURLs: openURL("album", al.ID),
			Href: ptr(x.api + "/albums/" + al.ID), ID: ptr(al.ID), Images: coverImages(al.ID, 640, 300, 64),
			Name: al.Name, ReleaseDate: ptr(al.ReleaseDate), ReleaseDatePrecision: ptr(precision(al.ReleaseDate)),
			TotalTracks: &total, Type: "album", URI: ptr("spotify:album:" + al.ID),
		},
		Artists: x.artists(t.Artists), DiscNumber: max(t.DiscNumber, 1), DurationMs: t.DurationMs,
		Explicit: t.Explicit, ExternalIDs: externalIDs{ISRC: t.ISRC}, ExternalURLs: openURL("track", t.ID),
		Href: ptr(x.api + "/tracks/" + t.ID), ID: ptr(t.ID), IsPlayable: ptr(true), Name: t.Name,
		TrackNumber: t.TrackNumber, Type: "track", URI: "spotify:track:" + t.ID,
	}
	if inPlaylist {
		j.Episode, j.Track = ptr(false), ptr(true)
	}
	if x.extended {
		j.Popularity = ptr(t.Popularity)
	}
	return j
}

// local renders a local file: no IDs, no hrefs, the tags in the URI.
func (x render) local(l *LocalFile) trackJSON {
	esc := url.QueryEscape
	return trackJSON{
		Album: albumJSON{
			Artists: []artistJSON{}, Images: []imageJSON{}, Name: l.Album, Type: "album",
		},
		Artists:    []artistJSON{{Name: l.Artist, Type: "artist"}},
		DurationMs: l.DurationMs,
		Episode:    ptr(false),
		IsLocal:    true,
		Name:       l.Name,
		Track:      ptr(true),
		Type:       "track",
		URI:        "spotify:local:" + esc(l.Artist) + ":" + esc(l.Album) + ":" + esc(l.Name) + ":" + strconv.Itoa(l.DurationMs/1000),
	}
}

func (x render) show(s Show) showJSON {
	j := showJSON{
		Copyrights: []string{}, ExternalURLs: openURL("show", s.ID), Href: x.api + "/shows/" + s.ID, ID: s.ID,
		Images: coverImages(s.ID, 640, 300, 64), Languages: []string{"en"}, MediaType: "audio", Name: s.Name,
		Type: "show", URI: "spotify:show:" + s.ID,
	}
	if x.extended {
		j.Publisher = s.Publisher
	}
	return j
}

func (x render) episode(e *Episode) episodeJSON {
	return episodeJSON{
		Description: e.Description, DurationMs: e.DurationMs, Episode: ptr(true), Explicit: e.Explicit,
		ExternalURLs: openURL("episode", e.ID), Href: x.api + "/episodes/" + e.ID,
		HTMLDescription: "<p>" + e.Description + "</p>", ID: e.ID, Images: coverImages(e.ID, 640, 300, 64),
		IsPlayable: true, Language: "en", Languages: []string{"en"}, Name: e.Name,
		ReleaseDate: e.ReleaseDate, ReleaseDatePrecision: precision(e.ReleaseDate), Show: x.show(e.Show),
		Track: ptr(false), Type: "episode", URI: "spotify:episode:" + e.ID,
	}
}

// episodeAsTrack is the track-like shape Spotify gives episodes when the
// client did not ask for additional_types=episode: the show stands in for
// album and artist.
func (x render) episodeAsTrack(e *Episode) trackJSON {
	show := e.Show
	return trackJSON{
		Album: albumJSON{
			AlbumType: ptr("episode"), Artists: []artistJSON{}, ExternalURLs: openURL("show", show.ID),
			Href: ptr(x.api + "/shows/" + show.ID), ID: ptr(show.ID), Images: coverImages(show.ID, 640, 300, 64),
			Name: show.Name, ReleaseDate: ptr(e.ReleaseDate), ReleaseDatePrecision: ptr(precision(e.ReleaseDate)),
			Type: "show", URI: ptr("spotify:show:" + show.ID),
		},
		Artists: []artistJSON{{
			ExternalURLs: openURL("show", show.ID), Href: ptr(x.api + "/shows/" + show.ID), ID: ptr(show.ID),
			Name: show.Name, Type: "show", URI: ptr("spotify:show:" + show.ID),
		}},
		DurationMs: e.DurationMs, Episode: ptr(true), Explicit: e.Explicit, ExternalURLs: openURL("episode", e.ID),
		Href: ptr(x.api + "/episodes/" + e.ID), ID: ptr(e.ID), IsPlayable: ptr(true), Name: e.Name,
		Track: ptr(false), Type: "episode", URI: "spotify:episode:" + e.ID,
	}
}

// entry renders one playlist track object under the keys keys selects.
func (x render) entry(it Item, owner string, keys KeyMode, episodes bool) entryJSON {
	var obj any
	switch {
	case it.Track != nil:
		obj = x.track(it.Track, true)
	case it.Episode != nil && episodes:
		obj = x.episode(it.Episode)
	case it.Episode != nil:
		obj = x.episodeAsTrack(it.Episode)
	case it.Local != nil:
		obj = x.local(it.Local)
	}
	// A pointer to a nil interface is sent as null, a nil pointer not at all.
	e := entryJSON{IsLocal: it.Local != nil}
	if keys.item() {
		e.Item = &obj
	}
	if keys.track() {
		e.Track = &obj
	}
	if !it.AddedAt.IsZero() {
		by := it.AddedBy
		if by == "" {
			by = owner
		}
		e.AddedAt = ptr(spotifyTime(it.AddedAt))
		e.AddedBy = ptr(x.userRef(by, "", false))
	}
	return e
}

// playlistImages is null for an empty playlist, as Spotify sends it, and
// otherwise one mosaic of unknown size.
func playlistImages(p *Playlist) []imageJSON {
	if len(p.Items) == 0 {
		return nil
	}
	return []imageJSON{{URL: "https://mosaic.scdn.co/640/" + shortHash(p.ID+p.SnapshotID)}}
}

func (x render) simplePlaylist(p *Playlist, keys KeyMode) simplePlaylistJSON {
	ref := &refJSON{Href: x.api + "/playlists/" + p.ID + "/items", Total: len(p.Items)}
	j := simplePlaylistJSON{
		Collaborative: p.Collaborative, Description: p.Description, ExternalURLs: openURL("playlist", p.ID),
		Href: x.api + "/playlists/" + p.ID, ID: p.ID, Images: playlistImages(p), Name: p.Name,
		Owner: x.userRef(p.OwnerID, p.OwnerName, true), Public: p.Public, SnapshotID: p.SnapshotID,
		Type: "playlist", URI: "spotify:playlist:" + p.ID,
	}
	if keys.item() {
		j.Items = ref
	}
	if keys.track() {
		old := *ref
		old.Href = x.api + "/playlists/" + p.ID + "/tracks"
		j.Tracks = &old
	}
	return j
}
