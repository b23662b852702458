-- Which local file plays each Spotify track, and why.
CREATE TABLE matches (
    spotify_id TEXT    PRIMARY KEY REFERENCES spotify_tracks(id) ON DELETE CASCADE,
    local_id   INTEGER REFERENCES local_tracks(id) ON DELETE SET NULL,
    -- pin, isrc, mbid, text, local-file; 'none' when the listener said there
    -- is no local copy; '' when nothing matched.
    method     TEXT    NOT NULL DEFAULT '',
    score      REAL    NOT NULL DEFAULT 0,
    matched_at INTEGER NOT NULL
);
CREATE INDEX matches_local ON matches(local_id) WHERE local_id IS NOT NULL;

-- The listener's decisions. Keyed by Spotify id and path, not by row ids,
-- so they survive rescans, resyncs and a track leaving every playlist.
CREATE TABLE match_overrides (
    spotify_id TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('pin', 'reject', 'none')),
    path       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (spotify_id, kind, path)
) WITHOUT ROWID;

-- Lookup keys (normalised ISRC, MusicBrainz id, title/artist keys): a
-- Spotify track and a local file can only match if they share one, so an
-- incremental rematch looks only at rows sharing a key with what changed.
CREATE TABLE local_match_keys (
    key      TEXT    NOT NULL,
    track_id INTEGER NOT NULL REFERENCES local_tracks(id) ON DELETE CASCADE,
    PRIMARY KEY (key, track_id)
) WITHOUT ROWID;
CREATE INDEX local_match_keys_track ON local_match_keys(track_id);

CREATE TABLE spotify_match_keys (
    key        TEXT NOT NULL,
    spotify_id TEXT NOT NULL REFERENCES spotify_tracks(id) ON DELETE CASCADE,
    PRIMARY KEY (key, spotify_id)
) WITHOUT ROWID;
CREATE INDEX spotify_match_keys_track ON spotify_match_keys(spotify_id);

-- What changed since the last rematch, recorded by triggers so that the
-- scanner and the syncer need not know about matching. (The triggers test
-- NOT EXISTS rather than use INSERT OR IGNORE: the conflict clause of the
-- statement that fires a trigger overrides the trigger's own.)
CREATE TABLE match_dirty_local (track_id INTEGER PRIMARY KEY);
CREATE TABLE match_dirty_remote (spotify_id TEXT PRIMARY KEY);

CREATE TRIGGER local_tracks_match_ai AFTER INSERT ON local_tracks BEGIN
    INSERT INTO match_dirty_local(track_id) SELECT new.id
    WHERE NOT EXISTS (SELECT 1 FROM match_dirty_local WHERE track_id = new.id);
END;
CREATE TRIGGER local_tracks_match_au AFTER UPDATE ON local_tracks BEGIN
    INSERT INTO match_dirty_local(track_id) SELECT new.id
    WHERE NOT EXISTS (SELECT 1 FROM match_dirty_local WHERE track_id = new.id);
    INSERT INTO match_dirty_remote(spotify_id) SELECT m.spotify_id FROM matches m
    WHERE m.local_id = new.id AND NOT EXISTS (SELECT 1 FROM match_dirty_remote d WHERE d.spotify_id = m.spotify_id);
END;
-- BEFORE: the foreign key's SET NULL runs before AFTER triggers would.
CREATE TRIGGER local_tracks_match_bd BEFORE DELETE ON local_tracks BEGIN
    INSERT INTO match_dirty_remote(spotify_id) SELECT m.spotify_id FROM matches m
    WHERE m.local_id = old.id AND NOT EXISTS (SELECT 1 FROM match_dirty_remote d WHERE d.spotify_id = m.spotify_id);
    DELETE FROM match_dirty_local WHERE track_id = old.id;
END;
CREATE TRIGGER spotify_tracks_match_ai AFTER INSERT ON spotify_tracks BEGIN
    INSERT INTO match_dirty_remote(spotify_id) SELECT new.id
    WHERE NOT EXISTS (SELECT 1 FROM match_dirty_remote WHERE spotify_id = new.id);
END;
CREATE TRIGGER spotify_tracks_match_au AFTER UPDATE ON spotify_tracks
WHEN old.name IS NOT new.name OR old.artists IS NOT new.artists OR old.album_name IS NOT new.album_name
  OR old.duration_ms IS NOT new.duration_ms OR old.isrc IS NOT new.isrc OR old.kind IS NOT new.kind BEGIN
    INSERT INTO match_dirty_remote(spotify_id) SELECT new.id
    WHERE NOT EXISTS (SELECT 1 FROM match_dirty_remote WHERE spotify_id = new.id);
END;
CREATE TRIGGER spotify_tracks_match_ad AFTER DELETE ON spotify_tracks BEGIN
    DELETE FROM match_dirty_remote WHERE spotify_id = old.id;
END;

-- Small facts about the database as a whole (e.g. the matcher's rules
-- version the stored matches were made with).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Everything indexed before this version is new to the matcher.
INSERT INTO match_dirty_local(track_id) SELECT id FROM local_tracks;
INSERT INTO match_dirty_remote(spotify_id) SELECT id FROM spotify_tracks;
