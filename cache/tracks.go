package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/tapedeck/tapedeck/media"
)

// LocalTrack is one indexed audio file.
type LocalTrack struct {
	ID      int64  `json:"id"`
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	// ReaderVersion is the version of the tag reader that indexed the file;
	// files read by an older reader are read again on the next scan.
	ReaderVersion int `json:"-"`
	media.Info
	// ParseError says why the file could not be read, or is "".
	ParseError string `json:"parse_error"`
}

// Stamp is what the scanner compares to decide whether a file changed.
type Stamp struct {
	ID            int64
	Size          int64
	MtimeNs       int64
	ReaderVersion int
}

// Stamps returns the stamp of every indexed path.
func (s *Store) Stamps(ctx context.Context) (map[string]Stamp, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, path, size, mtime_ns, reader_version FROM local_tracks`)
	if err != nil {
		return nil, fmt.Errorf("load index stamps: %w", err)
	}
	defer rows.Close()
	out := make(map[string]Stamp)
	for rows.Next() {
		var p string
		var st Stamp
		if err := rows.Scan(&st.ID, &p, &st.Size, &st.MtimeNs, &st.ReaderVersion); err != nil {
			return nil, fmt.Errorf("load index stamps: %w", err)
		}
		out[p] = st
	}
	return out, rows.Err()
}

// Batch is one transaction's worth of index changes.
type Batch struct {
	Upsert []LocalTrack // inserted, or updated in place by path (keeping the id)
	Delete []string     // paths that left the library
}

const upsertSQL = `
INSERT INTO local_tracks (
    path, size, mtime_ns, reader_version, format, codec, duration_ms, sample_rate, channels, bitrate,
    title, artists, album, album_artist, track_no, track_total, disc_no, disc_total, year, genre,
    isrc, mb_recording_id, rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak,
    encoder_delay, encoder_padding, parse_error, scanned_at)
VALUES (?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?)
ON CONFLICT(path) DO UPDATE SET
    size=excluded.size, mtime_ns=excluded.mtime_ns, reader_version=excluded.reader_version,
    format=excluded.format, codec=excluded.codec, duration_ms=excluded.duration_ms,
    sample_rate=excluded.sample_rate, channels=excluded.channels, bitrate=excluded.bitrate,
    title=excluded.title, artists=excluded.artists, album=excluded.album, album_artist=excluded.album_artist,
    track_no=excluded.track_no, track_total=excluded.track_total, disc_no=excluded.disc_no,
    disc_total=excluded.disc_total, year=excluded.year, genre=excluded.genre, isrc=excluded.isrc,
    mb_recording_id=excluded.mb_recording_id, rg_track_gain=excluded.rg_track_gain,
    rg_track_peak=excluded.rg_track_peak, rg_album_gain=excluded.rg_album_gain,
    rg_album_peak=excluded.rg_album_peak, encoder_delay=excluded.encoder_delay,
    encoder_padding=excluded.encoder_padding, parse_error=excluded.parse_error,
    scanned_at=excluded.scanned_at`

// Apply writes a batch in one transaction.
func (s *Store) Apply(ctx context.Context, b Batch) error {
	now := s.Now().Unix()
	return s.write(ctx, func(tx *sql.Tx) error {
		if len(b.Upsert) > 0 {
			stmt, err := tx.PrepareContext(ctx, upsertSQL)
			if err != nil {
				return fmt.Errorf("index tracks: %w", err)
			}
			defer stmt.Close()
			for _, t := range b.Upsert {
				if _, err := stmt.ExecContext(ctx, upsertArgs(t, now)...); err != nil {
					return fmt.Errorf("index %s: %w", t.Path, err)
				}
			}
		}
		if len(b.Delete) > 0 {
			stmt, err := tx.PrepareContext(ctx, `DELETE FROM local_tracks WHERE path = ?`)
			if err != nil {
				return fmt.Errorf("remove tracks: %w", err)
			}
			defer stmt.Close()
			for _, p := range b.Delete {
				if _, err := stmt.ExecContext(ctx, p); err != nil {
					return fmt.Errorf("remove %s: %w", p, err)
				}
			}
		}
		return nil
	})
}

func upsertArgs(t LocalTrack, now int64) []any {
	artists := t.Artists
	if artists == nil {
		artists = []string{}
	}
	aj, _ := json.Marshal(artists) // a []string always marshals
	return []any{
		t.Path, t.Size, t.MtimeNs, t.ReaderVersion, t.Format, t.Codec, t.DurationMs, t.SampleRate, t.Channels, t.Bitrate,
		t.Title, string(aj), t.Album, t.AlbumArtist, t.TrackNo, t.TrackTotal, t.DiscNo, t.DiscTotal, t.Year, t.Genre,
		t.ISRC, t.MBRecordingID, t.TrackGain, t.TrackPeak, t.AlbumGain, t.AlbumPeak,
		t.EncoderDelay, t.EncoderPadding, t.ParseError, now,
	}
}

const selectCols = `t.id, t.path, t.size, t.mtime_ns, t.reader_version, t.format, t.codec, t.duration_ms,
    t.sample_rate, t.channels, t.bitrate, t.title, t.artists, t.album, t.album_artist, t.track_no,
    t.track_total, t.disc_no, t.disc_total, t.year, t.genre, t.isrc, t.mb_recording_id,
    t.rg_track_gain, t.rg_track_peak, t.rg_album_gain, t.rg_album_peak, t.encoder_delay,
    t.encoder_padding, t.parse_error`

func scanTrack(rows interface{ Scan(...any) error }) (LocalTrack, error) {
	var t LocalTrack
	var artists string
	err := rows.Scan(&t.ID, &t.Path, &t.Size, &t.MtimeNs, &t.ReaderVersion, &t.Format, &t.Codec, &t.DurationMs,
		&t.SampleRate, &t.Channels, &t.Bitrate, &t.Title, &artists, &t.Album, &t.AlbumArtist, &t.TrackNo,
		&t.TrackTotal, &t.DiscNo, &t.DiscTotal, &t.Year, &t.Genre, &t.ISRC, &t.MBRecordingID,
		&t.TrackGain, &t.TrackPeak, &t.AlbumGain, &t.AlbumPeak, &t.EncoderDelay,
		&t.EncoderPadding, &t.ParseError)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(artists), &t.Artists); err != nil {
		return t, fmt.Errorf("track %d: artists column: %w", t.ID, err)
	}
	return t, nil
}

// TrackQuery selects tracks. The zero value lists every track by path.
type TrackQuery struct {
	// Search is free text matched against title, artists, album and album
	// artist; every word must match (as a prefix), in any column.
	Search string
	// FailedOnly lists only files that could not be read.
	FailedOnly bool
	Limit      int // 0 means no limit
}

// Tracks lists indexed tracks: by relevance when searching, else by path.
func (s *Store) Tracks(ctx context.Context, q TrackQuery) ([]LocalTrack, error) {
	var (
		query strings.Builder
		args  []any
	)
	query.WriteString("SELECT " + selectCols + " FROM local_tracks t")
	match := ftsQuery(q.Search)
	if match != "" {
		query.WriteString(" JOIN local_tracks_fts ON local_tracks_fts.rowid = t.id WHERE local_tracks_fts MATCH ?")
		args = append(args, match)
	} else {
		query.WriteString(" WHERE 1")
	}
	if q.FailedOnly {
		query.WriteString(" AND t.parse_error <> ''")
	}
	if match != "" {
		query.WriteString(" ORDER BY local_tracks_fts.rank, t.path")
	} else {
		query.WriteString(" ORDER BY t.path")
	}
	if q.Limit > 0 {
		query.WriteString(" LIMIT ?")
		args = append(args, q.Limit)
	}
	if strings.TrimSpace(q.Search) != "" && match == "" {
		return nil, nil // only punctuation: nothing can match
	}
	rows, err := s.r.QueryContext(ctx, query.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list tracks: %w", err)
	}
	defer rows.Close()
	var out []LocalTrack
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, fmt.Errorf("list tracks: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TrackByPath returns the track indexed at path, or ErrNotFound.
func (s *Store) TrackByPath(ctx context.Context, path string) (LocalTrack, error) {
	t, err := scanTrack(s.r.QueryRowContext(ctx, "SELECT "+selectCols+" FROM local_tracks t WHERE t.path = ?", path))
	if err == sql.ErrNoRows {
		return t, fmt.Errorf("track %s: %w", path, ErrNotFound)
	}
	return t, err
}

// TrackByID returns the track with the given id, or ErrNotFound.
func (s *Store) TrackByID(ctx context.Context, id int64) (LocalTrack, error) {
	t, err := scanTrack(s.r.QueryRowContext(ctx, "SELECT "+selectCols+" FROM local_tracks t WHERE t.id = ?", id))
	if err == sql.ErrNoRows {
		return t, fmt.Errorf("track %d: %w", id, ErrNotFound)
	}
	return t, err
}

// ftsQuery turns free text into an FTS5 query: each word becomes a quoted
// prefix term, so user input can never be parsed as FTS syntax.
func ftsQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	terms := make([]string, 0, len(words))
	for _, w := range words {
		terms = append(terms, `"`+w+`"*`)
	}
	return strings.Join(terms, " ")
}

// Stats summarises the index.
type Stats struct {
	Tracks     int
	Failed     int
	DurationMs int64
	ByFormat   map[string]int
}

// Stats counts the indexed tracks.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{ByFormat: map[string]int{}}
	rows, err := s.r.QueryContext(ctx, `SELECT format, count(*), sum(parse_error <> ''), sum(duration_ms) FROM local_tracks GROUP BY format`)
	if err != nil {
		return st, fmt.Errorf("index stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f string
		var n, failed int
		var d int64
		if err := rows.Scan(&f, &n, &failed, &d); err != nil {
			return st, fmt.Errorf("index stats: %w", err)
		}
		st.Tracks += n
		st.Failed += failed
		st.DurationMs += d
		if f != "" {
			st.ByFormat[f] += n
		}
	}
	return st, rows.Err()
}
