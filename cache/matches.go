package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// Match is the stored outcome of matching one Spotify track.
type Match struct {
	SpotifyID string
	LocalID   int64 // 0: no local copy
	Method    string
	Score     float64
}

// Override kinds.
const (
	OverridePin    = "pin"
	OverrideReject = "reject"
	OverrideNone   = "none"
)

// Override is one decision of the listener about a Spotify track.
type Override struct {
	SpotifyID string `json:"spotify_id"`
	Kind      string `json:"kind"`
	Path      string `json:"path,omitempty"`
}

// DirtyLocalTracks returns the local tracks added or changed since the last
// rematch.
func (s *Store) DirtyLocalTracks(ctx context.Context) ([]LocalTrack, error) {
	return s.queryTracks(ctx, "SELECT "+selectCols+" FROM local_tracks t JOIN match_dirty_local d ON d.track_id = t.id")
}

// AllLocalTracks returns every indexed track.
func (s *Store) AllLocalTracks(ctx context.Context) ([]LocalTrack, error) {
	return s.queryTracks(ctx, "SELECT "+selectCols+" FROM local_tracks t")
}

// LocalTracksByKeys returns the local tracks having any of keys, or whose
// path is in paths.
func (s *Store) LocalTracksByKeys(ctx context.Context, keys, paths []string) ([]LocalTrack, error) {
	return s.queryTracks(ctx, "SELECT "+selectCols+` FROM local_tracks t WHERE t.id IN (
    SELECT track_id FROM local_match_keys WHERE key IN (SELECT value FROM json_each(?)))
    OR t.path IN (SELECT value FROM json_each(?))`, jsonList(keys), jsonList(paths))
}

func (s *Store) queryTracks(ctx context.Context, query string, args ...any) ([]LocalTrack, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("load tracks: %w", err)
	}
	defer rows.Close()
	var out []LocalTrack
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, fmt.Errorf("load tracks: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DirtySpotifyIDs returns the Spotify tracks to rematch: new or changed
// ones, ones whose file changed or left, ones whose overrides changed.
func (s *Store) DirtySpotifyIDs(ctx context.Context) ([]string, error) {
	return s.queryStrings(ctx, `SELECT spotify_id FROM match_dirty_remote`)
}

// AllSpotifyIDs returns every synced Spotify track.
func (s *Store) AllSpotifyIDs(ctx context.Context) ([]string, error) {
	return s.queryStrings(ctx, `SELECT id FROM spotify_tracks`)
}

// SpotifyIDsByKeys returns the Spotify tracks having any of keys.
func (s *Store) SpotifyIDsByKeys(ctx context.Context, keys []string) ([]string, error) {
	return s.queryStrings(ctx, `SELECT DISTINCT spotify_id FROM spotify_match_keys WHERE key IN (SELECT value FROM json_each(?))`, jsonList(keys))
}

func (s *Store) queryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SpotifyTracks returns the synced tracks with the given ids.
func (s *Store) SpotifyTracks(ctx context.Context, ids []string) ([]SpotifyTrack, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+spotifyTrackCols+` FROM spotify_tracks t WHERE t.id IN (SELECT value FROM json_each(?))`, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("load Spotify tracks: %w", err)
	}
	defer rows.Close()
	var out []SpotifyTrack
	for rows.Next() {
		t, err := scanSpotifyTrack(rows)
		if err != nil {
			return nil, fmt.Errorf("load Spotify tracks: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

const spotifyTrackCols = `t.id, t.uri, t.kind, t.name, t.artists, t.album_id, t.album_name, t.album_release_date,
    t.album_artists, t.duration_ms, t.isrc, t.explicit, t.disc_number, t.track_number, t.show_name`

func scanSpotifyTrack(row interface{ Scan(...any) error }) (SpotifyTrack, error) {
	var t SpotifyTrack
	var artists, albumArtists string
	err := row.Scan(&t.ID, &t.URI, &t.Kind, &t.Name, &artists, &t.AlbumID, &t.AlbumName, &t.AlbumReleaseDate,
		&albumArtists, &t.DurationMs, &t.ISRC, &t.Explicit, &t.DiscNumber, &t.TrackNumber, &t.ShowName)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(artists), &t.Artists); err != nil {
		return t, fmt.Errorf("track %s: artists: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(albumArtists), &t.AlbumArtists); err != nil {
		return t, fmt.Errorf("track %s: album artists: %w", t.ID, err)
	}
	return t, nil
}

// SpotifyTrack returns one synced track by its Spotify id or URI.
func (s *Store) SpotifyTrack(ctx context.Context, ref string) (SpotifyTrack, error) {
	id := ref
	if strings.HasPrefix(ref, "spotify:track:") || strings.HasPrefix(ref, "spotify:episode:") {
		id = ref[strings.LastIndex(ref, ":")+1:]
	} else if strings.HasPrefix(ref, "spotify:local:") {
		id = "local:" + ref
	}
	t, err := scanSpotifyTrack(s.r.QueryRowContext(ctx, `SELECT `+spotifyTrackCols+` FROM spotify_tracks t WHERE t.id = ?`, id))
	if err == sql.ErrNoRows {
		return t, fmt.Errorf("Spotify track %q is in no synced playlist: %w (see `tapedeck playlist show`)", ref, ErrNotFound)
	}
	return t, err
}

// MatchKeys is what a rematch writes: the lookup keys of the tracks it
// looked at. With All, they replace every stored key.
type MatchKeys struct {
	All    bool
	Local  map[int64][]string  // local track id → its keys
	Remote map[string][]string // Spotify id → its keys
}

// SaveMatchKeys replaces the lookup keys of the given tracks and clears
// the dirty marks of the local ones (Spotify tracks stay dirty until their
// match is saved).
func (s *Store) SaveMatchKeys(ctx context.Context, k MatchKeys) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if k.All {
			for _, q := range []string{`DELETE FROM local_match_keys`, `DELETE FROM spotify_match_keys`, `DELETE FROM match_dirty_local`} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
		}
		err := replaceKeys(ctx, tx, k.Local, !k.All,
			`DELETE FROM local_match_keys WHERE track_id = ?`,
			`INSERT OR IGNORE INTO local_match_keys(key, track_id) VALUES (?, ?)`,
			`DELETE FROM match_dirty_local WHERE track_id = ?`)
		if err != nil {
			return err
		}
		return replaceKeys(ctx, tx, k.Remote, !k.All,
			`DELETE FROM spotify_match_keys WHERE spotify_id = ?`,
			`INSERT OR IGNORE INTO spotify_match_keys(key, spotify_id) VALUES (?, ?)`, "")
	})
	if err != nil {
		return fmt.Errorf("save match keys: %w", err)
	}
	return nil
}

// replaceKeys writes keys per owner with prepared statements: the old keys
// deleted first (unless the table was emptied), then the new ones, then
// the owner's dirty mark cleared (if clearSQL is set).
func replaceKeys[ID comparable](ctx context.Context, tx *sql.Tx, keys map[ID][]string, deleteOld bool, deleteSQL, insertSQL, clearSQL string) error {
	if len(keys) == 0 {
		return nil
	}
	var stmts []*sql.Stmt
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	prepare := func(q string) (*sql.Stmt, error) {
		if q == "" {
			return nil, nil
		}
		st, err := tx.PrepareContext(ctx, q)
		if err == nil {
			stmts = append(stmts, st)
		}
		return st, err
	}
	del, err := prepare(deleteSQL)
	if err != nil {
		return err
	}
	ins, err := prepare(insertSQL)
	if err != nil {
		return err
	}
	clean, err := prepare(clearSQL)
	if err != nil {
		return err
	}
	for id, ks := range keys {
		if deleteOld {
			if _, err := del.ExecContext(ctx, id); err != nil {
				return err
			}
		}
		for _, key := range ks {
			if _, err := ins.ExecContext(ctx, key, id); err != nil {
				return err
			}
		}
		if clean != nil && deleteOld {
			if _, err := clean.ExecContext(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Matches returns the stored matches of the given Spotify tracks.
func (s *Store) Matches(ctx context.Context, ids []string) (map[string]Match, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT spotify_id, coalesce(local_id, 0), method, score FROM matches
WHERE spotify_id IN (SELECT value FROM json_each(?))`, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("load matches: %w", err)
	}
	defer rows.Close()
	out := make(map[string]Match, len(ids))
	for rows.Next() {
		var m Match
		if err := rows.Scan(&m.SpotifyID, &m.LocalID, &m.Method, &m.Score); err != nil {
			return nil, err
		}
		out[m.SpotifyID] = m
	}
	return out, rows.Err()
}

// SaveMatches stores matches and clears the dirty marks of their tracks.
func (s *Store) SaveMatches(ctx context.Context, ms []Match) error {
	now := s.Now().Unix()
	err := s.write(ctx, func(tx *sql.Tx) error {
		up, err := tx.PrepareContext(ctx, `INSERT INTO matches(spotify_id, local_id, method, score, matched_at)
SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM spotify_tracks WHERE id = ?1)
ON CONFLICT(spotify_id) DO UPDATE SET local_id = excluded.local_id, method = excluded.method,
    score = excluded.score, matched_at = excluded.matched_at`)
		if err != nil {
			return err
		}
		defer up.Close()
		clean, err := tx.PrepareContext(ctx, `DELETE FROM match_dirty_remote WHERE spotify_id = ?`)
		if err != nil {
			return err
		}
		defer clean.Close()
		for _, m := range ms {
			var local any
			if m.LocalID != 0 {
				local = m.LocalID
			}
			if _, err := up.ExecContext(ctx, m.SpotifyID, local, m.Method, m.Score, now); err != nil {
				return fmt.Errorf("%s: %w", m.SpotifyID, err)
			}
			if _, err := clean.ExecContext(ctx, m.SpotifyID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save matches: %w", err)
	}
	return nil
}

// MatchOf returns the stored match of a Spotify track (Method "" and
// LocalID 0 when it has none or was never matched).
func (s *Store) MatchOf(ctx context.Context, spotifyID string) (Match, error) {
	m := Match{SpotifyID: spotifyID}
	var local sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT local_id, method, score FROM matches WHERE spotify_id = ?`, spotifyID).Scan(&local, &m.Method, &m.Score)
	if err == sql.ErrNoRows {
		return m, nil
	}
	m.LocalID = local.Int64
	return m, err
}

// Overrides returns the listener's decisions about the given tracks.
func (s *Store) Overrides(ctx context.Context, spotifyIDs []string) ([]Override, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT spotify_id, kind, path FROM match_overrides
WHERE spotify_id IN (SELECT value FROM json_each(?)) ORDER BY spotify_id, kind, path`, jsonList(spotifyIDs))
	if err != nil {
		return nil, fmt.Errorf("load overrides: %w", err)
	}
	defer rows.Close()
	var out []Override
	for rows.Next() {
		var o Override
		if err := rows.Scan(&o.SpotifyID, &o.Kind, &o.Path); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetOverride records a decision and marks the track for rematch. A pin
// replaces any earlier pin and removes a rejection of the same path; a
// rejection removes a pin of the same path; "none" replaces pins; they
// never pair a track with a path both ways.
func (s *Store) SetOverride(ctx context.Context, o Override) error {
	now := s.Now().Unix()
	err := s.write(ctx, func(tx *sql.Tx) error {
		var clear []string
		switch o.Kind {
		case OverridePin:
			clear = []string{`DELETE FROM match_overrides WHERE spotify_id = ?1 AND (kind IN ('pin', 'none') OR (kind = 'reject' AND path = ?2))`}
		case OverrideReject:
			clear = []string{`DELETE FROM match_overrides WHERE spotify_id = ?1 AND kind = 'pin' AND path = ?2`}
		case OverrideNone:
			clear = []string{`DELETE FROM match_overrides WHERE spotify_id = ?1 AND kind = 'pin'`}
		default:
			return fmt.Errorf("unknown override kind %q", o.Kind)
		}
		for _, q := range clear {
			if _, err := tx.ExecContext(ctx, q, o.SpotifyID, o.Path); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO match_overrides(spotify_id, kind, path, created_at) VALUES (?,?,?,?)`,
			o.SpotifyID, o.Kind, o.Path, now); err != nil {
			return err
		}
		return markRemoteDirty(ctx, tx, o.SpotifyID)
	})
	if err != nil {
		return fmt.Errorf("save override: %w", err)
	}
	return nil
}

// ResetOverrides forgets every decision about a track.
func (s *Store) ResetOverrides(ctx context.Context, spotifyID string) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM match_overrides WHERE spotify_id = ?`, spotifyID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return markRemoteDirty(ctx, tx, spotifyID)
	})
	if err != nil {
		return 0, fmt.Errorf("reset overrides: %w", err)
	}
	return int(n), nil
}

func markRemoteDirty(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO match_dirty_remote(spotify_id) SELECT id FROM spotify_tracks
WHERE id = ? AND NOT EXISTS (SELECT 1 FROM match_dirty_remote WHERE spotify_id = spotify_tracks.id)`, id)
	return err
}

// MarkAllDirty makes the next rematch look at every track (`tapedeck match`).
func (s *Store) MarkAllDirty(ctx context.Context) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO match_dirty_local(track_id) SELECT id FROM local_tracks`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO match_dirty_remote(spotify_id) SELECT id FROM spotify_tracks`)
		return err
	})
}

func jsonList[T any](v []T) string {
	if v == nil {
		return "[]"
	}
	b, _ := json.Marshal(v) // strings and ints always marshal
	return string(b)
}

// Meta returns a database-wide fact, or "" if it was never set.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return v, err
}

// SetMeta records a database-wide fact.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)`, key, value)
		return err
	})
}
