-- The index of the listener's own audio files, read from their tags.
CREATE TABLE local_tracks (
    id              INTEGER PRIMARY KEY,
    path            TEXT    NOT NULL UNIQUE,
    size            INTEGER NOT NULL,
    mtime_ns        INTEGER NOT NULL,
    reader_version  INTEGER NOT NULL,
    format          TEXT    NOT NULL DEFAULT '',
    codec           TEXT    NOT NULL DEFAULT '',
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    sample_rate     INTEGER NOT NULL DEFAULT 0,
    channels        INTEGER NOT NULL DEFAULT 0,
    bitrate         INTEGER NOT NULL DEFAULT 0,
    title           TEXT    NOT NULL DEFAULT '',
    -- Every artist as tagged, as a JSON array of strings.
    artists         TEXT    NOT NULL DEFAULT '[]',
    album           TEXT    NOT NULL DEFAULT '',
    album_artist    TEXT    NOT NULL DEFAULT '',
    track_no        INTEGER NOT NULL DEFAULT 0,
    track_total     INTEGER NOT NULL DEFAULT 0,
    disc_no         INTEGER NOT NULL DEFAULT 0,
    disc_total      INTEGER NOT NULL DEFAULT 0,
    year            INTEGER NOT NULL DEFAULT 0,
    genre           TEXT    NOT NULL DEFAULT '',
    isrc            TEXT    NOT NULL DEFAULT '',
    mb_recording_id TEXT    NOT NULL DEFAULT '',
    rg_track_gain   REAL,
    rg_track_peak   REAL,
    rg_album_gain   REAL,
    rg_album_peak   REAL,
    encoder_delay   INTEGER NOT NULL DEFAULT 0,
    encoder_padding INTEGER NOT NULL DEFAULT 0,
    -- Why the file could not be read, or '' when it was.
    parse_error     TEXT    NOT NULL DEFAULT '',
    scanned_at      INTEGER NOT NULL
);

CREATE INDEX local_tracks_isrc ON local_tracks(isrc) WHERE isrc <> '';
CREATE INDEX local_tracks_mbid ON local_tracks(mb_recording_id) WHERE mb_recording_id <> '';

-- Full-text search over title, artists and album. External content: the
-- triggers below keep it in step with local_tracks.
CREATE VIRTUAL TABLE local_tracks_fts USING fts5(
    title, artists, album, album_artist,
    content = 'local_tracks', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER local_tracks_ai AFTER INSERT ON local_tracks BEGIN
    INSERT INTO local_tracks_fts(rowid, title, artists, album, album_artist)
    VALUES (new.id, new.title, new.artists, new.album, new.album_artist);
END;

CREATE TRIGGER local_tracks_ad AFTER DELETE ON local_tracks BEGIN
    INSERT INTO local_tracks_fts(local_tracks_fts, rowid, title, artists, album, album_artist)
    VALUES ('delete', old.id, old.title, old.artists, old.album, old.album_artist);
END;

CREATE TRIGGER local_tracks_au AFTER UPDATE OF title, artists, album, album_artist ON local_tracks BEGIN
    INSERT INTO local_tracks_fts(local_tracks_fts, rowid, title, artists, album, album_artist)
    VALUES ('delete', old.id, old.title, old.artists, old.album, old.album_artist);
    INSERT INTO local_tracks_fts(rowid, title, artists, album, album_artist)
    VALUES (new.id, new.title, new.artists, new.album, new.album_artist);
END;
