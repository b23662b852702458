package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	spotifyapi "github.com/zmb3/spotify/v2"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/match"
	"github.com/tapedeck/tapedeck/player"
	tdsync "github.com/tapedeck/tapedeck/sync"
)

// The daemon is the API's backend.
var _ api.Backend = (*daemon)(nil)

// Status implements api.Backend.
func (d *daemon) Status(ctx context.Context) api.Status {
	st := d.engine.Status()
	d.mu.Lock()
	source := d.source
	out := api.Status{
		State: st.State.String(), Source: source, PositionMs: st.PositionMs, Index: st.Index,
		Volume: st.Volume, Shuffle: st.Shuffle, Repeat: st.Repeat.String(), Playlist: d.playlist,
		Spotify: d.spotify,
		Library: api.LibraryStatus{Tracks: d.tracks, Scanning: d.scanning, Syncing: d.syncing},
	}
	if !d.lastScan.IsZero() {
		t := d.lastScan
		out.Library.LastScan = &t
	}
	if d.outputErr != nil {
		out.OutputError = d.outputErr.Error()
	}
	d.mu.Unlock()
	switch {
	case source == "spotify":
		d.spotifyStatus(ctx, &out)
	case st.Index >= 0:
		out.Track = d.trackInfo(st.Index)
	}
	if source == "local" && st.State == player.StateStopped {
		out.Source = "none"
	}
	return out
}

// trackInfo describes queue entry i.
func (d *daemon) trackInfo(i int) *api.TrackInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i < 0 || i >= len(d.queueMeta) {
		return nil
	}
	q := d.queueMeta[i]
	return &api.TrackInfo{SpotifyID: q.SpotifyID, Title: q.Title, Artists: q.Artists, DurationMs: q.DurationMs, LocalPath: q.Path}
}

// playable says why nothing can play, if so.
func (d *daemon) playable() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.outputErr != nil {
		return fmt.Errorf("%w: the audio output failed (%v); set player.output and restart the daemon", api.ErrNoTrack, d.outputErr)
	}
	return nil
}

// Play implements api.Backend.
func (d *daemon) Play(ctx context.Context, req api.PlayRequest) error {
	switch req.Source {
	case "", "auto", "local", "spotify":
	default:
		return fmt.Errorf("%w: source must be auto, local or spotify", api.ErrBadRequest)
	}
	if req.Playlist != "" && req.Source != "local" {
		err := d.spotifyPlay(ctx, req)
		if err == nil || req.Source == "spotify" {
			return err
		}
		d.log.Info("playing from local files", "playlist", req.Playlist, "why", err)
	}
	if d.currentSource() == "spotify" && req.Playlist == "" && len(req.Paths) == 0 {
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.Resume(ctx) })
	}
	if req.Source == "spotify" {
		return fmt.Errorf("%w: source spotify needs a playlist", api.ErrBadRequest)
	}
	if err := d.playable(); err != nil {
		return err
	}
	if req.Playlist == "" && len(req.Paths) == 0 {
		if d.engine.Status().State == player.StatePaused {
			return d.engine.Resume()
		}
		if len(d.engine.Queue()) == 0 {
			return fmt.Errorf("%w: nothing is queued to resume: play a playlist (see `tapedeck playlists`) or files", api.ErrBadRequest)
		}
		if err := d.engine.Play(max(d.engine.Status().Index, 0)); err != nil {
			return err
		}
		d.setSource("local") // the queue as it stands, built with queue edits or PUT /queue
		return nil
	}
	start, err := d.load(ctx, req)
	if err != nil {
		return err
	}
	d.quietSpotifyIfPlaying(ctx)
	if err := d.engine.Play(start); err != nil {
		return err
	}
	d.mu.Lock()
	d.conn.single = false // the listener chose: no longer the copy of Spotify's one track
	d.mu.Unlock()
	d.setSource("local")
	if req.PositionMs > 0 {
		return d.engine.SeekMs(req.PositionMs)
	}
	return nil
}

// SetQueue implements api.Backend: it replaces the queue without playing.
func (d *daemon) SetQueue(ctx context.Context, req api.PlayRequest) error {
	_, err := d.load(ctx, req)
	return err
}

// load queues a playlist's entries that play offline, or the given paths,
// and returns the queue index to start from (the first playable entry at
// or after req.Index).
func (d *daemon) load(ctx context.Context, req api.PlayRequest) (int, error) {
	var (
		meta []api.QueueEntry
		pos  []int
		ref  *api.PlaylistRef
	)
	start := 0
	switch {
	case req.Playlist != "" && len(req.Paths) > 0:
		return 0, fmt.Errorf("%w: give a playlist or paths, not both", api.ErrBadRequest)
	case req.Playlist != "":
		p, err := d.store.FindPlaylist(ctx, req.Playlist)
		if err != nil {
			return 0, err
		}
		items, err := d.store.PlaylistItems(ctx, p.ID)
		if err != nil {
			return 0, err
		}
		start = -1
		for _, it := range items {
			if it.Track == nil || it.LocalPath == "" {
				continue
			}
			if start < 0 && it.Position >= req.Index {
				start = len(meta)
			}
			meta = append(meta, api.QueueEntry{Path: it.LocalPath, SpotifyID: it.Track.ID, Title: it.Track.Name,
				Artists: cache.ArtistNames(it.Track.Artists), DurationMs: it.Track.DurationMs})
			pos = append(pos, it.Position)
		}
		if len(meta) == 0 {
			return 0, fmt.Errorf("%w: no track of %q has a local copy (see `tapedeck missing --playlist %s`)", api.ErrNoTrack, p.Name, p.ID)
		}
		if start < 0 {
			return 0, fmt.Errorf("%w: no entry at or after index %d of %q has a local copy", api.ErrNoTrack, req.Index, p.Name)
		}
		ref = &api.PlaylistRef{ID: p.ID, Name: p.Name, Items: len(items), PlayableOffline: len(meta)}
	default:
		var err error
		if meta, pos, err = d.pathEntries(ctx, req.Paths); err != nil {
			return 0, err
		}
		if req.Index > 0 && req.Index < len(meta) {
			start = req.Index
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queueMeta, d.queuePos, d.playlist = meta, pos, ref
	d.conn.heardPos = -1
	d.engine.SetQueue(playerTracks(meta))
	return start, nil
}

// pathEntries describes files to queue, with what the index knows of them.
// They have no playlist position (-1).
func (d *daemon) pathEntries(ctx context.Context, paths []string) ([]api.QueueEntry, []int, error) {
	var meta []api.QueueEntry
	var pos []int
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: path %q: %v", api.ErrBadRequest, p, err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%w: %s is not a file", api.ErrBadRequest, abs)
		}
		e := api.QueueEntry{Path: abs, Title: filepath.Base(abs)}
		if lt, err := d.store.TrackByPath(ctx, abs); err == nil {
			e.Artists, e.DurationMs = lt.Artists, lt.DurationMs
			if lt.Title != "" { // an untagged file keeps its name
				e.Title = lt.Title
			}
		}
		meta = append(meta, e)
		pos = append(pos, -1)
	}
	return meta, pos, nil
}

func playerTracks(meta []api.QueueEntry) []player.Track {
	tracks := make([]player.Track, len(meta))
	for i, m := range meta {
		tracks[i] = player.Track{Path: m.Path, ID: m.SpotifyID}
	}
	return tracks
}

func (d *daemon) currentSource() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.source
}

func (d *daemon) setSource(s string) {
	d.mu.Lock()
	changed := d.source != s
	d.source = s
	d.mu.Unlock()
	if changed {
		d.events.publish("source", map[string]string{"source": s})
	}
}

// spotifyCall runs a control on Spotify Connect.
func (d *daemon) spotifyCall(ctx context.Context, fn func(*tdsync.Client) error) error {
	d.mu.Lock()
	cmd := d.conn.cmd
	d.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%w: run `tapedeck login`", api.ErrNotLinked)
	}
	return fn(cmd)
}

// quietSpotifyIfPlaying pauses Spotify before local playback starts.
func (d *daemon) quietSpotifyIfPlaying(ctx context.Context) {
	if d.currentSource() == "spotify" {
		d.quietSpotify(ctx)
	}
}

// Pause implements api.Backend.
func (d *daemon) Pause(ctx context.Context) error {
	if d.currentSource() == "spotify" {
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.Pause(ctx) })
	}
	d.engine.Pause()
	return nil
}

// Resume implements api.Backend.
func (d *daemon) Resume(ctx context.Context) error {
	if d.currentSource() == "spotify" {
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.Resume(ctx) })
	}
	if err := d.playable(); err != nil {
		return err
	}
	if err := d.engine.Resume(); err != nil {
		return d.engineErr(err)
	}
	d.setSource("local") // also when it started the queue after a stop
	return nil
}

// Stop implements api.Backend.
func (d *daemon) Stop(ctx context.Context) error {
	if d.currentSource() == "spotify" {
		d.setSource("none")
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.Pause(ctx) })
	}
	d.engine.Stop()
	d.setSource("none")
	return nil
}

// Next implements api.Backend.
func (d *daemon) Next(ctx context.Context) error {
	if d.currentSource() == "spotify" {
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.Next(ctx) })
	}
	d.engine.Next()
	return nil
}

// Previous implements api.Backend.
func (d *daemon) Previous(ctx context.Context) error {
	if d.currentSource() == "spotify" {
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.Previous(ctx) })
	}
	d.engine.Previous()
	return nil
}

// Seek implements api.Backend.
func (d *daemon) Seek(ctx context.Context, ms int64) error {
	if ms < 0 {
		return fmt.Errorf("%w: position_ms must be 0 or more", api.ErrBadRequest)
	}
	if d.currentSource() == "spotify" {
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.Seek(ctx, ms) })
	}
	return d.engineErr(d.engine.SeekMs(ms))
}

// SetVolume implements api.Backend.
func (d *daemon) SetVolume(ctx context.Context, v int) error {
	if v < 0 || v > 100 {
		return fmt.Errorf("%w: volume must be 0 to 100", api.ErrBadRequest)
	}
	if d.currentSource() == "spotify" {
		return d.spotifyCall(ctx, func(c *tdsync.Client) error { return c.SetVolume(ctx, v) })
	}
	d.engine.SetVolume(v)
	d.events.publish("state", map[string]any{"state": d.engine.Status().State.String(), "volume": v})
	return nil
}

// SetShuffle implements api.Backend: Spotify's while it plays (the local
// player follows Spotify's at a fail-over), else the local player's.
func (d *daemon) SetShuffle(ctx context.Context, on bool) error {
	if d.currentSource() == "spotify" {
		return d.spotifyMode(ctx, func(c *tdsync.Client) error { return c.SetShuffle(ctx, on) },
			func(st *spotifyapi.PlayerState) { st.ShuffleState = on })
	}
	d.engine.SetShuffle(on)
	d.events.publish("state", map[string]any{"state": d.engine.Status().State.String(), "shuffle": on})
	return nil
}

// SetRepeat implements api.Backend, like SetShuffle.
func (d *daemon) SetRepeat(ctx context.Context, mode string) error {
	r, err := player.ParseRepeat(mode)
	if err != nil {
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	if d.currentSource() == "spotify" {
		state := map[string]string{"off": "off", "all": "context", "one": "track"}[mode]
		return d.spotifyMode(ctx, func(c *tdsync.Client) error { return c.SetRepeat(ctx, mode) },
			func(st *spotifyapi.PlayerState) { st.RepeatState = state })
	}
	d.engine.SetRepeat(r)
	d.events.publish("state", map[string]any{"state": d.engine.Status().State.String(), "repeat": mode})
	return nil
}

// spotifyMode makes a shuffle or repeat call on Spotify and, once Spotify
// took it, shows it in the status at once (the next poll confirms it).
func (d *daemon) spotifyMode(ctx context.Context, call func(*tdsync.Client) error, apply func(*spotifyapi.PlayerState)) error {
	if err := d.spotifyCall(ctx, call); err != nil {
		return err
	}
	d.mu.Lock()
	if d.conn.last != nil {
		last := *d.conn.last
		apply(&last)
		d.conn.last = &last
	}
	d.mu.Unlock()
	d.events.publish("state", map[string]any{"source": "spotify"})
	return nil
}

func (d *daemon) engineErr(err error) error {
	if errors.Is(err, player.ErrNoTrack) {
		return fmt.Errorf("%w: %v", api.ErrNoTrack, err)
	}
	return err
}

// Queue implements api.Backend.
func (d *daemon) Queue(context.Context) (api.Queue, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queueLocked(), nil
}

// queueLocked is the queue; d.mu keeps the engine's queue and queueMeta in
// step.
func (d *daemon) queueLocked() api.Queue {
	entries := append([]api.QueueEntry{}, d.queueMeta...)
	return api.Queue{Playlist: d.playlist, Index: d.engine.Status().Index, Entries: entries}
}

// Queue edits keep queueMeta and queuePos in step with the engine's queue
// under d.mu. An entry added from a path, or from a playlist other than
// the queue's, has no playlist position (-1): a hand-back to Spotify never
// starts from it.

// AddToQueue implements api.Backend.
func (d *daemon) AddToQueue(ctx context.Context, req api.QueueAddRequest) (api.Queue, error) {
	if err := d.queueEditable(); err != nil {
		return api.Queue{}, err
	}
	meta, pos, from, err := d.entriesToAdd(ctx, req)
	if err != nil {
		return api.Queue{}, err
	}
	d.mu.Lock()
	at := len(d.queueMeta)
	switch {
	case req.Next:
		at = d.engine.InsertNext(playerTracks(meta)...)
	case req.At != nil:
		at = *req.At
		err = d.engine.Insert(at, playerTracks(meta)...)
	default:
		err = d.engine.Insert(at, playerTracks(meta)...)
	}
	if err != nil {
		n := len(d.queueMeta)
		d.mu.Unlock()
		return api.Queue{}, fmt.Errorf("%w: \"at\" %d is past the end of the queue (%d entries)", api.ErrNotFound, at, n)
	}
	if d.playlist == nil || d.playlist.ID != from {
		for i := range pos {
			pos[i] = -1
		}
	}
	d.queueMeta = slices.Insert(d.queueMeta, at, meta...)
	d.queuePos = slices.Insert(d.queuePos, at, pos...)
	return d.queueEditedLocked()
}

// entriesToAdd describes what an AddToQueue request names, with playlist
// positions when it names a playlist's entry (from is that playlist).
func (d *daemon) entriesToAdd(ctx context.Context, req api.QueueAddRequest) (meta []api.QueueEntry, pos []int, from string, err error) {
	if req.Playlist == "" {
		meta, pos, err = d.pathEntries(ctx, req.Paths)
		return meta, pos, "", err
	}
	if req.Index == nil {
		return nil, nil, "", fmt.Errorf("%w: a playlist entry needs its index", api.ErrBadRequest)
	}
	p, err := d.store.FindPlaylist(ctx, req.Playlist)
	if err != nil {
		return nil, nil, "", err
	}
	items, err := d.store.PlaylistItems(ctx, p.ID)
	if err != nil {
		return nil, nil, "", err
	}
	i := slices.IndexFunc(items, func(it cache.PlaylistItem) bool { return it.Position == *req.Index })
	switch {
	case i < 0:
		return nil, nil, "", fmt.Errorf("%w: %q has no entry %d (its entries are 0 to %d)", api.ErrNotFound, p.Name, *req.Index, len(items)-1)
	case items[i].Track == nil || items[i].LocalPath == "":
		return nil, nil, "", fmt.Errorf("%w: entry %d of %q has no local copy (see `tapedeck missing --playlist %s`)", api.ErrNoTrack, *req.Index, p.Name, p.ID)
	}
	it := items[i]
	meta = []api.QueueEntry{{Path: it.LocalPath, SpotifyID: it.Track.ID, Title: it.Track.Name,
		Artists: cache.ArtistNames(it.Track.Artists), DurationMs: it.Track.DurationMs}}
	return meta, []int{it.Position}, p.ID, nil
}

// RemoveFromQueue implements api.Backend.
func (d *daemon) RemoveFromQueue(ctx context.Context, i int) (api.Queue, error) {
	if err := d.queueEditable(); err != nil {
		return api.Queue{}, err
	}
	d.mu.Lock()
	if err := d.engine.Remove(i); err != nil {
		n := len(d.queueMeta)
		d.mu.Unlock()
		return api.Queue{}, noEntry(i, n)
	}
	d.queueMeta = slices.Delete(d.queueMeta, i, i+1)
	d.queuePos = slices.Delete(d.queuePos, i, i+1)
	return d.queueEditedLocked()
}

// MoveInQueue implements api.Backend.
func (d *daemon) MoveInQueue(ctx context.Context, from, to int) (api.Queue, error) {
	if err := d.queueEditable(); err != nil {
		return api.Queue{}, err
	}
	d.mu.Lock()
	if err := d.engine.Move(from, to); err != nil {
		n := len(d.queueMeta)
		d.mu.Unlock()
		return api.Queue{}, noEntry(max(from, to), n)
	}
	m, p := d.queueMeta[from], d.queuePos[from]
	d.queueMeta = slices.Insert(slices.Delete(d.queueMeta, from, from+1), to, m)
	d.queuePos = slices.Insert(slices.Delete(d.queuePos, from, from+1), to, p)
	return d.queueEditedLocked()
}

func noEntry(i, n int) error {
	return fmt.Errorf("%w: no queue entry %d (the queue has %d, from 0)", api.ErrNotFound, i, n)
}

// queueEditable refuses edits while Spotify plays: what plays next is
// Spotify's to say, and a fail-over queues the playlist's local copies
// afresh, so an edit would be lost.
func (d *daemon) queueEditable() error {
	if d.currentSource() == "spotify" {
		return fmt.Errorf("%w: Spotify is playing and the queue is its own; edit the queue while your own files play (`tapedeck play --local`, or `tapedeck stop` first)", api.ErrBusy)
	}
	return nil
}

// queueEditedLocked finishes an edit made under d.mu: the queue is the
// listener's choice now (no longer the copy of Spotify's one track that a
// fail-over queued), and clients hear of it. It unlocks d.mu.
func (d *daemon) queueEditedLocked() (api.Queue, error) {
	d.conn.single = false
	q := d.queueLocked()
	d.mu.Unlock()
	d.events.publish("queue", map[string]int{"index": q.Index, "length": len(q.Entries)})
	return q, nil
}

// Playlists implements api.Backend.
func (d *daemon) Playlists(ctx context.Context) ([]cache.Playlist, error) {
	return d.store.Playlists(ctx)
}

// Playlist implements api.Backend.
func (d *daemon) Playlist(ctx context.Context, ref string) (cache.Playlist, []cache.PlaylistItem, error) {
	p, err := d.store.FindPlaylist(ctx, ref)
	if err != nil {
		return p, nil, err
	}
	items, err := d.store.PlaylistItems(ctx, p.ID)
	return p, items, err
}

// Tracks implements api.Backend.
func (d *daemon) Tracks(ctx context.Context, q string, limit int) ([]cache.LocalTrack, error) {
	return d.store.Tracks(ctx, cache.TrackQuery{Search: q, Limit: limit})
}

// Missing implements api.Backend.
func (d *daemon) Missing(ctx context.Context, ref string) ([]cache.MissingTrack, error) {
	id := ""
	if ref != "" {
		p, err := d.store.FindPlaylist(ctx, ref)
		if err != nil {
			return nil, err
		}
		id = p.ID
	}
	return d.store.Missing(ctx, id)
}

// SetMatch implements api.Backend.
func (d *daemon) SetMatch(ctx context.Context, spotifyID, kind, path string) (api.MatchInfo, error) {
	t, err := d.store.SpotifyTrack(ctx, spotifyID)
	if err != nil {
		return api.MatchInfo{}, err
	}
	o := cache.Override{SpotifyID: t.ID, Kind: kind}
	switch kind {
	case cache.OverridePin, cache.OverrideReject:
		if path == "" {
			return api.MatchInfo{}, fmt.Errorf("%w: %s needs a path", api.ErrBadRequest, kind)
		}
		lt, err := d.store.TrackByPath(ctx, path)
		if err != nil {
			return api.MatchInfo{}, fmt.Errorf("%w: %s is not in the index", api.ErrBadRequest, path)
		}
		o.Path = lt.Path
	case cache.OverrideNone:
	default:
		return api.MatchInfo{}, fmt.Errorf("%w: kind must be pin, reject or none", api.ErrBadRequest)
	}
	if err := d.store.SetOverride(ctx, o); err != nil {
		return api.MatchInfo{}, err
	}
	defer d.updateCoverage(ctx)
	return d.matchInfo(ctx, t.ID)
}

// ResetMatch implements api.Backend.
func (d *daemon) ResetMatch(ctx context.Context, spotifyID string) (api.MatchInfo, error) {
	t, err := d.store.SpotifyTrack(ctx, spotifyID)
	if err != nil {
		return api.MatchInfo{}, err
	}
	if _, err := d.store.ResetOverrides(ctx, t.ID); err != nil {
		return api.MatchInfo{}, err
	}
	defer d.updateCoverage(ctx)
	return d.matchInfo(ctx, t.ID)
}

// matchInfo rematches what changed and returns a track's match.
func (d *daemon) matchInfo(ctx context.Context, id string) (api.MatchInfo, error) {
	if _, err := match.NewRematcher(d.store).Run(ctx, false); err != nil {
		return api.MatchInfo{}, err
	}
	m, err := d.store.MatchOf(ctx, id)
	if err != nil {
		return api.MatchInfo{}, err
	}
	info := api.MatchInfo{SpotifyID: id, Method: m.Method, Score: m.Score}
	if m.LocalID != 0 {
		if lt, err := d.store.TrackByID(ctx, m.LocalID); err == nil {
			info.LocalPath = &lt.Path
		}
	}
	return info, nil
}

// StartSync implements api.Backend.
func (d *daemon) StartSync(context.Context) error {
	d.mu.Lock()
	busy, linked := d.syncing, d.spotify.Connectivity != "not_linked"
	d.mu.Unlock()
	switch {
	case busy:
		return fmt.Errorf("%w: a sync is running", api.ErrBusy)
	case !linked:
		return fmt.Errorf("%w: run `tapedeck login` first", api.ErrNotLinked)
	}
	poke(d.syncNow)
	return nil
}

// StartScan implements api.Backend.
func (d *daemon) StartScan(context.Context) error {
	d.mu.Lock()
	busy := d.scanning
	d.mu.Unlock()
	if busy {
		return fmt.Errorf("%w: a scan is running", api.ErrBusy)
	}
	poke(d.scanNow)
	return nil
}

// Subscribe implements api.Backend.
func (d *daemon) Subscribe() (<-chan api.Event, func()) { return d.events.Subscribe() }
