-- The listener's Spotify playlists and Liked Songs, as last synced.
CREATE TABLE playlists (
    id                TEXT    PRIMARY KEY,      -- Spotify playlist id; 'liked' for Liked Songs
    kind              TEXT    NOT NULL,         -- 'playlist' or 'liked'
    name              TEXT    NOT NULL,
    owner_id          TEXT    NOT NULL DEFAULT '',
    owner_name        TEXT    NOT NULL DEFAULT '',
    snapshot_id       TEXT    NOT NULL DEFAULT '',
    collaborative     INTEGER NOT NULL DEFAULT 0,
    public            INTEGER,                  -- NULL when Spotify does not say
    position          INTEGER NOT NULL DEFAULT 0, -- order in the listener's list
    total             INTEGER NOT NULL DEFAULT 0, -- items, as Spotify reports
    readable          INTEGER NOT NULL DEFAULT 1,
    unreadable_reason TEXT    NOT NULL DEFAULT '',
    newest_added_at   TEXT    NOT NULL DEFAULT '',
    synced_at         INTEGER NOT NULL DEFAULT 0  -- when the items were last fetched
);

-- Every track (or episode, or Spotify "local file") some playlist holds.
CREATE TABLE spotify_tracks (
    id                 TEXT    PRIMARY KEY,     -- Spotify id; 'local:' || uri for local files
    uri                TEXT    NOT NULL,
    kind               TEXT    NOT NULL,        -- 'track', 'episode' or 'local'
    name               TEXT    NOT NULL,
    artists            TEXT    NOT NULL DEFAULT '[]', -- JSON [{"id":…,"name":…}]
    album_id           TEXT    NOT NULL DEFAULT '',
    album_name         TEXT    NOT NULL DEFAULT '',
    album_release_date TEXT    NOT NULL DEFAULT '',
    album_artists      TEXT    NOT NULL DEFAULT '[]',
    duration_ms        INTEGER NOT NULL DEFAULT 0,
    isrc               TEXT    NOT NULL DEFAULT '',
    explicit           INTEGER NOT NULL DEFAULT 0,
    disc_number        INTEGER NOT NULL DEFAULT 0,
    track_number       INTEGER NOT NULL DEFAULT 0,
    show_name          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX spotify_tracks_isrc ON spotify_tracks(isrc) WHERE isrc <> '';

CREATE TABLE playlist_items (
    playlist_id TEXT    NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    added_at    TEXT    NOT NULL DEFAULT '',
    added_by    TEXT    NOT NULL DEFAULT '',
    track_id    TEXT    REFERENCES spotify_tracks(id), -- NULL: an unavailable entry (a gap)
    PRIMARY KEY (playlist_id, position)
) WITHOUT ROWID;
CREATE INDEX playlist_items_track ON playlist_items(track_id);
