package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// LikedID is the id of the Liked Songs pseudo-playlist.
const LikedID = "liked"

// Playlist is a synced Spotify playlist (or Liked Songs).
type Playlist struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"` // "playlist" or "liked"
	Name          string    `json:"name"`
	OwnerID       string    `json:"owner_id"`
	OwnerName     string    `json:"owner_name"`
	SnapshotID    string    `json:"snapshot_id"`
	Collaborative bool      `json:"collaborative"`
	Public        *bool     `json:"public"`
	Position      int       `json:"position"`
	Total         int       `json:"total"`
	Readable      bool      `json:"readable"`
	Unreadable    string    `json:"unreadable_reason,omitempty"`
	NewestAddedAt string    `json:"newest_added_at,omitempty"`
	SyncedAt      time.Time `json:"synced_at"`
	// Items is how many entries are stored, Playable how many of them have
	// a local copy, and Coverage the share in percent (computed).
	Items    int     `json:"items"`
	Playable int     `json:"playable_offline"`
	Coverage float64 `json:"coverage_pct"`
}

// Artist is a Spotify artist reference.
type Artist struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// SpotifyTrack is a track, episode or Spotify "local file" from a playlist.
type SpotifyTrack struct {
	ID               string   `json:"id"`
	URI              string   `json:"uri"`
	Kind             string   `json:"kind"` // "track", "episode" or "local"
	Name             string   `json:"name"`
	Artists          []Artist `json:"artists"`
	AlbumID          string   `json:"album_id"`
	AlbumName        string   `json:"album"`
	AlbumReleaseDate string   `json:"album_release_date"`
	AlbumArtists     []Artist `json:"album_artists"`
	DurationMs       int64    `json:"duration_ms"`
	ISRC             string   `json:"isrc"`
	Explicit         bool     `json:"explicit"`
	DiscNumber       int      `json:"disc_number"`
	TrackNumber      int      `json:"track_number"`
	ShowName         string   `json:"show,omitempty"`
}

// PlaylistItem is one entry; Track is nil for an unavailable entry.
type PlaylistItem struct {
	Position int
	AddedAt  string
	AddedBy  string
	Track    *SpotifyTrack
	// LocalPath is the matched local file ("" when there is none), and
	// MatchMethod and MatchScore say how it was matched.
	LocalPath   string
	MatchMethod string
	MatchScore  float64
}

// MarshalJSON writes an entry flat, as `playlist show --json` and the API
// give it: the Spotify track's fields beside the match.
func (it PlaylistItem) MarshalJSON() ([]byte, error) {
	type flat struct {
		Position    int      `json:"position"`
		AddedAt     string   `json:"added_at"`
		AddedBy     string   `json:"added_by,omitempty"`
		Available   bool     `json:"available"`
		SpotifyID   *string  `json:"spotify_id"`
		URI         string   `json:"uri,omitempty"`
		Kind        string   `json:"kind,omitempty"`
		Name        string   `json:"name,omitempty"`
		Artists     []string `json:"artists"`
		Album       string   `json:"album,omitempty"`
		DurationMs  int64    `json:"duration_ms"`
		ISRC        string   `json:"isrc"`
		LocalPath   *string  `json:"local_path"`
		MatchMethod string   `json:"match_method"`
		MatchScore  float64  `json:"match_score"`
	}
	f := flat{Position: it.Position, AddedAt: it.AddedAt, AddedBy: it.AddedBy, Artists: []string{},
		MatchMethod: it.MatchMethod, MatchScore: it.MatchScore}
	if t := it.Track; t != nil {
		id := t.ID
		f.Available, f.SpotifyID, f.URI, f.Kind, f.Name = true, &id, t.URI, t.Kind, t.Name
		f.Album, f.DurationMs, f.ISRC = t.AlbumName, t.DurationMs, t.ISRC
		for _, a := range t.Artists {
			f.Artists = append(f.Artists, a.Name)
		}
	}
	if it.LocalPath != "" {
		p := it.LocalPath
		f.LocalPath = &p
	}
	return json.Marshal(f)
}

// ArtistNames lists the names of artists.
func ArtistNames(artists []Artist) []string {
	out := make([]string, len(artists))
	for i, a := range artists {
		out[i] = a.Name
	}
	return out
}

const playlistCols = `p.id, p.kind, p.name, p.owner_id, p.owner_name, p.snapshot_id, p.collaborative, p.public,
    p.position, p.total, p.readable, p.unreadable_reason, p.newest_added_at, p.synced_at,
    (SELECT count(*) FROM playlist_items i WHERE i.playlist_id = p.id),
    (SELECT count(*) FROM playlist_items i JOIN matches m ON m.spotify_id = i.track_id
     WHERE i.playlist_id = p.id AND m.local_id IS NOT NULL)`

func scanPlaylist(row interface{ Scan(...any) error }) (Playlist, error) {
	var p Playlist
	var synced int64
	var public sql.NullBool
	err := row.Scan(&p.ID, &p.Kind, &p.Name, &p.OwnerID, &p.OwnerName, &p.SnapshotID, &p.Collaborative, &public,
		&p.Position, &p.Total, &p.Readable, &p.Unreadable, &p.NewestAddedAt, &synced, &p.Items, &p.Playable)
	if p.Items > 0 {
		p.Coverage = math.Round(1000*float64(p.Playable)/float64(p.Items)) / 10
	}
	if public.Valid {
		p.Public = &public.Bool
	}
	if synced > 0 {
		p.SyncedAt = time.Unix(synced, 0).UTC()
	}
	return p, err
}

// Playlists lists the synced playlists in the listener's order, Liked Songs
// first.
func (s *Store) Playlists(ctx context.Context) ([]Playlist, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+playlistCols+` FROM playlists p ORDER BY p.kind = 'playlist', p.position, p.name`)
	if err != nil {
		return nil, fmt.Errorf("list playlists: %w", err)
	}
	defer rows.Close()
	var out []Playlist
	for rows.Next() {
		p, err := scanPlaylist(rows)
		if err != nil {
			return nil, fmt.Errorf("list playlists: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindPlaylist finds a playlist by id, Spotify URI, or exact name (case
// insensitive). A name that several playlists share is an error listing
// their ids.
func (s *Store) FindPlaylist(ctx context.Context, ref string) (Playlist, error) {
	id := ref
	if len(ref) > len("spotify:playlist:") && ref[:len("spotify:playlist:")] == "spotify:playlist:" {
		id = ref[len("spotify:playlist:"):]
	}
	p, err := scanPlaylist(s.r.QueryRowContext(ctx, `SELECT `+playlistCols+` FROM playlists p WHERE p.id = ?`, id))
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("find playlist: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+playlistCols+` FROM playlists p WHERE p.name = ? COLLATE NOCASE ORDER BY p.position`, ref)
	if err != nil {
		return p, fmt.Errorf("find playlist: %w", err)
	}
	defer rows.Close()
	var found []Playlist
	for rows.Next() {
		p, err := scanPlaylist(rows)
		if err != nil {
			return p, fmt.Errorf("find playlist: %w", err)
		}
		found = append(found, p)
	}
	switch len(found) {
	case 0:
		return Playlist{}, fmt.Errorf("playlist %q: %w (see `tapedeck playlists`)", ref, ErrNotFound)
	case 1:
		return found[0], nil
	}
	ids := ""
	for _, f := range found {
		ids += " " + f.ID
	}
	return Playlist{}, fmt.Errorf("%d playlists are called %q: name one by id:%s", len(found), ref, ids)
}

// PlaylistItems returns a playlist's entries in order.
func (s *Store) PlaylistItems(ctx context.Context, playlistID string) ([]PlaylistItem, error) {
	rows, err := s.r.QueryContext(ctx, `
SELECT i.position, i.added_at, i.added_by, t.id, t.uri, t.kind, t.name, t.artists, t.album_id, t.album_name,
       t.album_release_date, t.album_artists, t.duration_ms, t.isrc, t.explicit, t.disc_number, t.track_number, t.show_name,
       coalesce(l.path, ''), coalesce(m.method, ''), coalesce(m.score, 0)
FROM playlist_items i LEFT JOIN spotify_tracks t ON t.id = i.track_id
LEFT JOIN matches m ON m.spotify_id = i.track_id
LEFT JOIN local_tracks l ON l.id = m.local_id
WHERE i.playlist_id = ? ORDER BY i.position`, playlistID)
	if err != nil {
		return nil, fmt.Errorf("playlist items: %w", err)
	}
	defer rows.Close()
	var out []PlaylistItem
	for rows.Next() {
		var it PlaylistItem
		var id, uri, kind, name, artists, albumID, album, release, albumArtists, isrc, show sql.NullString
		var dur, disc, num sql.NullInt64
		var explicit sql.NullBool
		if err := rows.Scan(&it.Position, &it.AddedAt, &it.AddedBy, &id, &uri, &kind, &name, &artists, &albumID, &album,
			&release, &albumArtists, &dur, &isrc, &explicit, &disc, &num, &show, &it.LocalPath, &it.MatchMethod, &it.MatchScore); err != nil {
			return nil, fmt.Errorf("playlist items: %w", err)
		}
		if id.Valid {
			t := &SpotifyTrack{ID: id.String, URI: uri.String, Kind: kind.String, Name: name.String, AlbumID: albumID.String,
				AlbumName: album.String, AlbumReleaseDate: release.String, DurationMs: dur.Int64, ISRC: isrc.String,
				Explicit: explicit.Bool, DiscNumber: int(disc.Int64), TrackNumber: int(num.Int64), ShowName: show.String}
			if err := errors.Join(json.Unmarshal([]byte(artists.String), &t.Artists), json.Unmarshal([]byte(albumArtists.String), &t.AlbumArtists)); err != nil {
				return nil, fmt.Errorf("playlist items: track %s: %w", t.ID, err)
			}
			it.Track = t
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// SavePlaylist records a playlist's metadata without touching its items
// (its snapshot is unchanged, or its items could not be read).
func (s *Store) SavePlaylist(ctx context.Context, p Playlist) error {
	return s.write(ctx, func(tx *sql.Tx) error { return upsertPlaylist(ctx, tx, p) })
}

// ReplacePlaylist stores a playlist and all its items in one transaction:
// readers see the old version or the new one, never a mix, and a failure
// leaves the old version whole.
func (s *Store) ReplacePlaylist(ctx context.Context, p Playlist, items []PlaylistItem) error {
	p.SyncedAt = s.Now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := upsertPlaylist(ctx, tx, p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM playlist_items WHERE playlist_id = ?`, p.ID); err != nil {
			return err
		}
		trackStmt, err := tx.PrepareContext(ctx, upsertSpotifyTrackSQL)
		if err != nil {
			return err
		}
		defer trackStmt.Close()
		itemStmt, err := tx.PrepareContext(ctx, `INSERT INTO playlist_items(playlist_id, position, added_at, added_by, track_id) VALUES (?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer itemStmt.Close()
		for _, it := range items {
			var trackID any
			if t := it.Track; t != nil {
				if _, err := trackStmt.ExecContext(ctx, spotifyTrackArgs(t)...); err != nil {
					return fmt.Errorf("track %s: %w", t.ID, err)
				}
				trackID = t.ID
			}
			if _, err := itemStmt.ExecContext(ctx, p.ID, it.Position, it.AddedAt, it.AddedBy, trackID); err != nil {
				return fmt.Errorf("item %d: %w", it.Position, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save playlist %s: %w", p.ID, err)
	}
	return nil
}

const upsertSpotifyTrackSQL = `
INSERT INTO spotify_tracks(id, uri, kind, name, artists, album_id, album_name, album_release_date, album_artists,
    duration_ms, isrc, explicit, disc_number, track_number, show_name)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(id) DO UPDATE SET uri=excluded.uri, kind=excluded.kind, name=excluded.name, artists=excluded.artists,
    album_id=excluded.album_id, album_name=excluded.album_name, album_release_date=excluded.album_release_date,
    album_artists=excluded.album_artists, duration_ms=excluded.duration_ms, isrc=excluded.isrc,
    explicit=excluded.explicit, disc_number=excluded.disc_number, track_number=excluded.track_number,
    show_name=excluded.show_name`

func spotifyTrackArgs(t *SpotifyTrack) []any {
	return []any{t.ID, t.URI, t.Kind, t.Name, artistsJSON(t.Artists), t.AlbumID, t.AlbumName, t.AlbumReleaseDate,
		artistsJSON(t.AlbumArtists), t.DurationMs, t.ISRC, t.Explicit, t.DiscNumber, t.TrackNumber, t.ShowName}
}

func artistsJSON(a []Artist) string {
	if a == nil {
		a = []Artist{}
	}
	b, _ := json.Marshal(a) // plain strings always marshal
	return string(b)
}

func upsertPlaylist(ctx context.Context, tx *sql.Tx, p Playlist) error {
	var synced any
	if !p.SyncedAt.IsZero() {
		synced = p.SyncedAt.Unix()
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO playlists(id, kind, name, owner_id, owner_name, snapshot_id, collaborative, public, position, total,
    readable, unreadable_reason, newest_added_at, synced_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,coalesce(?, 0))
ON CONFLICT(id) DO UPDATE SET kind=excluded.kind, name=excluded.name, owner_id=excluded.owner_id,
    owner_name=excluded.owner_name, snapshot_id=excluded.snapshot_id, collaborative=excluded.collaborative,
    public=excluded.public, position=excluded.position, total=excluded.total, readable=excluded.readable,
    unreadable_reason=excluded.unreadable_reason, newest_added_at=excluded.newest_added_at,
    synced_at=coalesce(?, playlists.synced_at)`,
		p.ID, p.Kind, p.Name, p.OwnerID, p.OwnerName, p.SnapshotID, p.Collaborative, p.Public, p.Position, p.Total,
		p.Readable, p.Unreadable, p.NewestAddedAt, synced, synced)
	return err
}

// DeletePlaylistsExcept removes every playlist whose id is not in keep,
// then the tracks no playlist holds any more. It returns how many
// playlists were removed.
func (s *Store) DeletePlaylistsExcept(ctx context.Context, keep []string) (int, error) {
	var removed int
	err := s.write(ctx, func(tx *sql.Tx) error {
		keepJSON, _ := json.Marshal(keep)
		res, err := tx.ExecContext(ctx, `DELETE FROM playlists WHERE id NOT IN (SELECT value FROM json_each(?))`, string(keepJSON))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		removed = int(n)
		_, err = tx.ExecContext(ctx, `DELETE FROM spotify_tracks WHERE id NOT IN (SELECT track_id FROM playlist_items WHERE track_id IS NOT NULL)`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove old playlists: %w", err)
	}
	return removed, nil
}

// MissingTrack is a Spotify track with no local copy, and the playlists
// holding it.
type MissingTrack struct {
	SpotifyTrack
	Playlists []string `json:"playlists"`
}

// Missing lists the tracks not available offline, in every playlist or in
// one (playlistID), by artist and title. Episodes are left out: they are
// never played from files.
func (s *Store) Missing(ctx context.Context, playlistID string) ([]MissingTrack, error) {
	rows, err := s.r.QueryContext(ctx, `
SELECT `+spotifyTrackCols+`, json_group_array(DISTINCT p.name)
FROM spotify_tracks t
JOIN playlist_items i ON i.track_id = t.id
JOIN playlists p ON p.id = i.playlist_id
LEFT JOIN matches m ON m.spotify_id = t.id
WHERE t.kind <> 'episode' AND m.local_id IS NULL AND (?1 = '' OR i.playlist_id = ?1)
GROUP BY t.id
ORDER BY lower(json_extract(t.artists, '$[0].name')), lower(t.name), t.id`, playlistID)
	if err != nil {
		return nil, fmt.Errorf("missing tracks: %w", err)
	}
	defer rows.Close()
	var out []MissingTrack
	for rows.Next() {
		var mt MissingTrack
		var names string
		t, err := scanSpotifyTrack(scanFunc(func(dest ...any) error { return rows.Scan(append(dest, &names)...) }))
		if err != nil {
			return nil, fmt.Errorf("missing tracks: %w", err)
		}
		mt.SpotifyTrack = t
		if err := json.Unmarshal([]byte(names), &mt.Playlists); err != nil {
			return nil, fmt.Errorf("missing tracks: %w", err)
		}
		out = append(out, mt)
	}
	return out, rows.Err()
}

// scanFunc adapts a function to the Scan interface.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
