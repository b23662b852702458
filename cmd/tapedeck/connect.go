package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	spotifyapi "github.com/zmb3/spotify/v2"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/failover"
	"github.com/tapedeck/tapedeck/mpris"
	"github.com/tapedeck/tapedeck/player"
	tdsync "github.com/tapedeck/tapedeck/sync"
)

// connect follows what Spotify plays, detects outages with a
// failover.Monitor (owned by the poll goroutine), and moves playback to the
// local files and back. Its fields other than mon are guarded by daemon.mu.
type connect struct {
	mon  *failover.Monitor
	poll *tdsync.Client // one attempt, short timeout: detection speed
	cmd  *tdsync.Client // controls: a couple of quick attempts

	last      *spotifyapi.PlayerState // the last good poll
	lastAt    time.Time
	context   string    // synced playlist Spotify plays (cache.LikedID for Liked Songs), "" for anything else
	ctxURI    string    // the context URI Spotify reported ("" for none), to hand back to an unsynced one
	likedOurs bool      // tapedeck started Liked Songs as a list of tracks: a poll shows no context
	single    bool      // failed over to the local copy of one track, outside any synced playlist
	localFrom time.Time // when the fail-over started playing locally
	device    string    // device id to hand back to
	failed    bool      // playing locally because of an outage
	handback  bool      // hand back at the end of the current local track
	heardPos  int       // playlist position of the last queue entry from the playlist that started, -1 for none
	outage    *api.Outage
	outages   []api.Outage
	trackPath map[string]string // Spotify id → local path, for the status
}

// connectClients builds the Spotify clients from the stored login, or
// returns nil when there is none.
func (d *daemon) connectClients(ctx context.Context) (poll, cmd *tdsync.Client, err error) {
	log := d.log.With("component", "connect")
	oc := tdsync.OAuthConfig(d.cfg.Spotify.ClientID, d.cfg.Spotify.AccountsURL, d.cfg.Spotify.RedirectURL)
	src, err := tdsync.NewTokenSource(ctx, oc, tdsync.NewTokenFile(d.cfg.StateDir), log)
	if err != nil {
		return nil, nil, err
	}
	th := d.conn.mon.Thresholds()
	pp := tdsync.DefaultRetry()
	pp.Attempts, pp.Timeout, pp.Base = 1, th.PollTimeout, d.metrics.Transport(nil)
	cp := tdsync.DefaultRetry()
	cp.Attempts, cp.Timeout, cp.MaxDelay, cp.Base = 2, 3*time.Second, 500*time.Millisecond, d.metrics.Transport(nil)
	if poll, err = tdsync.NewClient(d.cfg.Spotify.APIURL, src, pp, log); err != nil {
		return nil, nil, err
	}
	cmd, err = tdsync.NewClient(d.cfg.Spotify.APIURL, src, cp, log)
	return poll, cmd, err
}

// connectJob polls Spotify's player at the monitor's pace.
func (d *daemon) connectJob(ctx context.Context) error {
	for {
		wait := 5 * time.Second // not linked yet: look for a login again soon
		if d.conn.poll == nil {
			if poll, cmd, err := d.connectClients(ctx); err == nil {
				d.mu.Lock()
				d.conn.poll, d.conn.cmd = poll, cmd
				d.mu.Unlock()
			}
		}
		if d.conn.poll != nil {
			d.pollOnce(ctx)
			wait = d.conn.mon.PollInterval()
		}
		if !d.waitObservingApp(ctx, wait) {
			return nil
		}
	}
}

// appReadEvery is how often the Spotify app is read: well within the
// monitor's AppStallAfter/4.
const appReadEvery = 500 * time.Millisecond

// reportApp hands a reading of the Spotify app to the poll goroutine; a
// reading not yet taken is replaced by the newer one.
func (d *daemon) reportApp(s mpris.AppState) {
	for {
		select {
		case d.appReports <- s:
			return
		default:
		}
		select {
		case <-d.appReports:
		default:
		}
	}
}

// waitObservingApp waits for wait, feeding the Spotify app's readings to
// the monitor meanwhile. It is false when ctx ended.
func (d *daemon) waitObservingApp(ctx context.Context, wait time.Duration) bool {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case s := <-d.appReports:
			d.observeApp(ctx, s)
		}
	}
}

// observeApp feeds one reading of the Spotify app to the monitor, and
// pauses the app if it plays while tapedeck plays locally.
func (d *daemon) observeApp(ctx context.Context, s mpris.AppState) {
	d.mu.Lock()
	wasPlaying := d.spotify.App != nil && d.spotify.App.Status == "Playing"
	d.spotify.App = nil
	if s.Name != "" {
		d.spotify.App = &api.SpotifyApp{Name: s.Name, Status: s.Status, TrackID: s.TrackID}
	}
	d.mu.Unlock()
	snap := failover.AppSnapshot{At: s.At, Present: s.Name != "", Playing: s.Status == "Playing",
		TrackID: s.TrackID, PositionMs: s.PositionMs}
	if tr, changed := d.conn.mon.ObserveApp(snap); changed {
		d.onTransition(ctx, tr)
	}
	if snap.Playing && !wasPlaying && d.playingLocally() {
		d.log.Info("the Spotify app started playing while tapedeck plays locally: pausing it")
		d.pauseApp(ctx)
	}
}

func (d *daemon) pollOnce(ctx context.Context) {
	started := d.now()
	st, err := d.conn.poll.PlayerState(ctx)
	obs := failover.Observation{Started: started, At: d.now()}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		fillError(&obs, err)
		if obs.Status == 429 {
			obs.RetryAfter = d.conn.poll.RetryAfter()
		}
	} else {
		obs.Player = snapshot(st)
	}
	d.mu.Lock()
	if err == nil {
		d.conn.last, d.conn.lastAt = st, obs.At
		if st != nil {
			d.conn.device = string(st.Device.ID)
			d.conn.ctxURI = string(st.PlaybackContext.URI)
			d.conn.context = d.conn.contextOf(d.conn.ctxURI)
		}
	}
	d.mu.Unlock()
	if tr, changed := d.conn.mon.Observe(obs); changed {
		d.onTransition(ctx, tr)
	}
	if err == nil && st != nil && st.Playing {
		d.guardOverlap(ctx)
	}
}

// contextOf is the synced playlist a poll's context URI names: the
// playlist's id, cache.LikedID for Liked Songs (which some clients report
// as spotify:user:ID:collection, and which tapedeck starts as a list of
// tracks, with no context), or "" for anything else (an album, an artist,
// a list of tracks someone else started): never the previous one.
func (c *connect) contextOf(uri string) string {
	if id, ok := strings.CutPrefix(uri, "spotify:playlist:"); ok {
		c.likedOurs = false
		return id
	}
	if isCollection(uri) || (uri == "" && c.likedOurs) {
		return cache.LikedID
	}
	c.likedOurs = false
	return ""
}

// isCollection reports a Liked Songs context URI.
func isCollection(uri string) bool {
	if strings.HasPrefix(uri, "spotify:collection") {
		return true
	}
	rest, ok := strings.CutPrefix(uri, "spotify:user:")
	return ok && strings.HasSuffix(rest, ":collection")
}

// likedWindow is how many Liked Songs entries a start on Spotify sends as
// track URIs; the Web API documents no limit, and apps that do this send
// a page or two.
const likedWindow = 100

// startOnSpotify starts a synced playlist on the device: at the entry
// with trackID, positionMs into it, or when trackID is "" at entry index
// from its start. Liked Songs go as a list of tracks from that entry on.
func (d *daemon) startOnSpotify(ctx context.Context, cmd *tdsync.Client, device, playlistID string, index int, trackID string, positionMs int64) error {
	if playlistID != cache.LikedID {
		uri := ""
		if trackID != "" {
			uri = "spotify:track:" + trackID
		}
		err := cmd.PlayPlaylist(ctx, device, playlistID, uri, index, positionMs)
		if err == nil {
			d.mu.Lock()
			d.conn.likedOurs = false
			d.mu.Unlock()
		}
		return err
	}
	items, err := d.store.PlaylistItems(ctx, cache.LikedID)
	if err != nil {
		return err
	}
	var uris []string
	for _, it := range items {
		if it.Track == nil || it.Track.ID == "" || it.Position < index || (trackID != "" && len(uris) == 0 && it.Track.ID != trackID) {
			continue
		}
		uris = append(uris, "spotify:track:"+it.Track.ID)
		if len(uris) == likedWindow {
			break
		}
	}
	if len(uris) == 0 {
		return fmt.Errorf("%w: no track of Liked Songs at or after entry %d", api.ErrNoTrack, index)
	}
	if err := cmd.PlayTracks(ctx, device, uris, positionMs); err != nil {
		return err
	}
	d.mu.Lock()
	d.conn.likedOurs = true
	d.mu.Unlock()
	return nil
}

// fillError turns a failed call into what the monitor needs.
func fillError(obs *failover.Observation, err error) {
	var apiErr spotifyapi.Error
	var ours *tdsync.APIError
	switch {
	case errors.Is(err, tdsync.ErrLoginRequired), errors.Is(err, tdsync.ErrNotLoggedIn):
		obs.LoginRevoked = true
	case errors.Is(err, tdsync.ErrRateLimited):
		obs.Status = 429
	case errors.As(err, &apiErr):
		obs.Status = apiErr.Status
	case errors.As(err, &ours):
		obs.Status = ours.Status
	default:
		obs.Err = err
	}
}

func snapshot(st *spotifyapi.PlayerState) *failover.PlayerSnapshot {
	if st == nil {
		return &failover.PlayerSnapshot{}
	}
	s := &failover.PlayerSnapshot{IsPlaying: st.Playing, ProgressMs: int64(st.Progress),
		DeviceID: string(st.Device.ID), DevicePresent: st.Device.ID != ""}
	if st.Item != nil {
		s.TrackID, s.DurationMs = string(st.Item.ID), int64(st.Item.Duration)
	}
	return s
}

// onTransition publishes a connectivity change and moves playback.
func (d *daemon) onTransition(ctx context.Context, tr failover.Transition) {
	cause := tr.Cause
	if tr.To == failover.Online {
		cause = "" // the cause of coming back is no error
	}
	d.setSpotify(string(tr.To), cause)
	d.events.publish("connectivity", tr)
	d.mu.Lock()
	source, failed := d.source, d.conn.failed
	d.mu.Unlock()
	switch {
	case tr.From == tr.To: // held: the Spotify app still plays
		d.log.Warn("Spotify unreachable, but the Spotify app still plays: switching when its audio stops", "cause", tr.Cause)
		d.startOutage(tr)
	case tr.To.Local() && !tr.From.Local():
		d.log.Warn("Spotify unreachable", "cause", tr.Cause, "from", tr.From)
		d.startOutage(tr)
		if source == "spotify" {
			d.failOver(ctx)
		}
	case tr.To == failover.Online && tr.From.Local():
		d.log.Info("Spotify is back")
		d.endOutage(tr.At)
		if source == "local" && failed {
			d.handBack(ctx)
		}
	case tr.To == failover.Online:
		d.endOutage(tr.At) // one the app played through, if any
	}
}

// startOutage records an outage, or gives the one under way (the app
// played through its start) its final cause.
func (d *daemon) startOutage(tr failover.Transition) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn.outage != nil {
		d.conn.outage.Cause = tr.Cause
		return
	}
	d.conn.outage = &api.Outage{Start: tr.At, Cause: tr.Cause}
	d.metrics.OutageStarted(tr.Cause)
}

func (d *daemon) endOutage(at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o := d.conn.outage; o != nil {
		end := at
		o.End = &end
		d.metrics.OutageEnded(at.Sub(o.Start))
		if !d.conn.localFrom.IsZero() {
			o.PlayedLocallyMs = at.Sub(d.conn.localFrom).Milliseconds()
			d.conn.localFrom = time.Time{}
		}
		d.conn.outages = append(d.conn.outages, *o)
		if len(d.conn.outages) > 100 {
			d.conn.outages = d.conn.outages[1:]
		}
		d.log.Info("outage over", "start", o.Start.Format(time.RFC3339), "cause", o.Cause, "lasted", at.Sub(o.Start).Round(time.Second),
			"played_locally_ms", o.PlayedLocallyMs)
		d.conn.outage = nil
	}
}

// failOver plays the track Spotify was playing from the local copy, at the
// extrapolated position, and queues the rest of the playlist.
func (d *daemon) failOver(ctx context.Context) {
	if !d.conn.mon.WasPlaying() {
		d.mu.Lock()
		d.source = "none" // paused or idle: nothing to take over
		d.mu.Unlock()
		return
	}
	trackID, pos, _ := d.conn.mon.Position(d.now())
	d.mu.Lock()
	playlistID := d.conn.context
	shuffle := d.conn.last != nil && d.conn.last.ShuffleState
	repeat := player.RepeatOff
	if d.conn.last != nil {
		repeat = map[string]player.Repeat{"context": player.RepeatAll, "track": player.RepeatOne}[d.conn.last.RepeatState]
	}
	d.mu.Unlock()
	start, seek, err := d.loadFrom(ctx, playlistID, trackID)
	single := false
	if err != nil {
		// Not a synced playlist (an album, an artist, tracks started
		// elsewhere): your copy of the track itself, if you have one.
		if start, seek, err = d.loadTrack(ctx, trackID); err != nil {
			d.log.Error("cannot fail over to local files", "err", err)
			d.events.publish("error", map[string]string{"error": "fail-over: " + err.Error()})
			return
		}
		single = true
	}
	d.engine.SetShuffle(shuffle) // as Spotify had them
	d.engine.SetRepeat(repeat)
	d.pauseApp(ctx) // never two sources at once, even without the network
	if err := d.engine.Play(start); err != nil {
		d.log.Error("cannot fail over to local files", "err", err)
		return
	}
	if seek && pos > 0 {
		d.engine.SeekMs(pos)
	}
	d.mu.Lock()
	d.source, d.conn.failed, d.conn.handback, d.conn.localFrom = "local", true, false, d.now()
	d.conn.single = single
	if start < len(d.queuePos) {
		// The listener was hearing this entry on Spotify: a hand-back goes
		// on after it even if it is skipped before a local sample plays.
		d.conn.heardPos = d.queuePos[start]
	}
	d.metrics.ObserveFailover(d.now().Sub(d.conn.mon.Since())) // from the outage's detection
	d.mu.Unlock()
	d.events.publish("source", map[string]any{"source": "local", "track": trackID, "position_ms": pos})
	d.log.Info("playing local files while Spotify is unreachable", "track", trackID, "position_ms", pos, "seek", seek)
	go d.pauseDevice(ctx) // a stalled device may still answer
}

// loadFrom queues the playlist's local copies and returns where to start:
// the track itself when it has a local copy (seek true), else the next
// entry that has one.
func (d *daemon) loadFrom(ctx context.Context, playlistID, trackID string) (start int, seek bool, err error) {
	if playlistID == "" {
		return 0, false, errors.New("Spotify was not playing a synced playlist")
	}
	items, err := d.store.PlaylistItems(ctx, playlistID)
	if err != nil {
		return 0, false, err
	}
	from := -1
	for _, it := range items {
		if it.Track != nil && it.Track.ID == trackID {
			from = it.Position
			break
		}
	}
	if from < 0 {
		return 0, false, fmt.Errorf("the track Spotify played is not in the synced playlist")
	}
	if _, err := d.load(ctx, api.PlayRequest{Playlist: playlistID}); err != nil {
		return 0, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, pos := range d.queuePos {
		if pos >= from {
			return i, d.queueMeta[i].SpotifyID == trackID, nil
		}
	}
	return 0, false, fmt.Errorf("no entry after the current one has a local copy")
}

// pauseApp pauses the Spotify app on this computer over D-Bus, which
// needs no network; best effort.
func (d *daemon) pauseApp(ctx context.Context) {
	if d.app == nil {
		return
	}
	d.mu.Lock()
	app := d.spotify.App
	d.mu.Unlock()
	if app == nil || app.Status != "Playing" {
		return
	}
	if err := d.app.Pause(ctx); err != nil {
		d.log.Warn("cannot pause the Spotify app over D-Bus", "err", err)
		return
	}
	d.log.Info("paused the Spotify app on this computer", "name", app.Name)
}

// loadTrack queues the local copy of one Spotify track alone.
func (d *daemon) loadTrack(ctx context.Context, trackID string) (start int, seek bool, err error) {
	path := d.localPathOf(ctx, trackID)
	if path == "" {
		return 0, false, fmt.Errorf("Spotify played something tapedeck does not sync (an album, an artist), and its current track has no local copy")
	}
	if _, err := d.load(ctx, api.PlayRequest{Paths: []string{path}}); err != nil {
		return 0, false, err
	}
	d.mu.Lock()
	if len(d.queueMeta) == 1 {
		d.queueMeta[0].SpotifyID = trackID
	}
	d.mu.Unlock()
	return 0, true, nil
}

// quietSpotify pauses Spotify, best effort, so it cannot come back by
// itself on top of the local playback: the app on this computer over
// D-Bus, and the Connect device through the Web API.
func (d *daemon) quietSpotify(ctx context.Context) {
	d.pauseApp(ctx)
	d.pauseDevice(ctx)
}

// pauseDevice pauses the Connect device through the Web API, best effort.
func (d *daemon) pauseDevice(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	d.mu.Lock()
	cmd := d.conn.cmd
	d.mu.Unlock()
	if cmd != nil {
		cmd.Pause(ctx)
	}
}

// handBack returns to Spotify per spotify.handback.
func (d *daemon) handBack(ctx context.Context) {
	d.mu.Lock()
	single := d.conn.single
	d.mu.Unlock()
	if single && d.cfg.Spotify.Handback != "never" {
		d.handBackSingle(ctx)
		return
	}
	switch d.cfg.Spotify.Handback {
	case "never":
		d.mu.Lock()
		d.conn.failed = false
		d.mu.Unlock()
	case "immediately":
		st := d.engine.Status()
		d.mu.Lock()
		added := st.Index >= 0 && st.Index < len(d.queuePos) && d.queuePos[st.Index] < 0
		d.conn.handback = added // a track the listener queued plays to its end first
		d.mu.Unlock()
		if !added {
			d.toSpotify(ctx, st.Index, st.PositionMs)
		}
	default: // track_end: forwardPlayerEvents finishes it
		d.mu.Lock()
		d.conn.handback = true
		d.mu.Unlock()
	}
}

// handBackSingle returns to what Spotify played when it failed over to
// the local copy of one track (an album, an artist: no synced playlist
// tells what comes next): Spotify's context, or the track alone, at the
// same track and position, as soon as Spotify is steady, whatever the
// policy but never. If the copy already ended, the listener decides.
func (d *daemon) handBackSingle(ctx context.Context) {
	st := d.engine.Status()
	d.mu.Lock()
	cmd, device, ctxURI := d.conn.cmd, d.conn.device, d.conn.ctxURI
	trackID := ""
	if len(d.queueMeta) == 1 {
		trackID = d.queueMeta[0].SpotifyID
	}
	d.conn.failed, d.conn.single = false, false
	d.mu.Unlock()
	if cmd == nil || trackID == "" || st.State == player.StateStopped {
		d.mu.Lock()
		d.source = "none"
		d.mu.Unlock()
		d.log.Info("Spotify is back; your copy of the track ended before it: nothing to hand back")
		return
	}
	d.engine.Stop() // never two sources at once: local stops first
	uri := "spotify:track:" + trackID
	var err error
	if ctxURI != "" {
		err = cmd.PlayContext(ctx, device, ctxURI, uri, 0, st.PositionMs)
	} else {
		err = cmd.PlayTracks(ctx, device, []string{uri}, st.PositionMs)
	}
	if err != nil {
		d.log.Warn("hand-back to Spotify failed; staying local", "err", err)
		d.mu.Lock()
		d.conn.failed, d.conn.single = true, true
		d.mu.Unlock()
		d.engine.Play(0)
		d.engine.SeekMs(st.PositionMs)
		return
	}
	d.mu.Lock()
	d.source, d.conn.last = "spotify", nil
	d.mu.Unlock()
	d.events.publish("source", map[string]any{"source": "spotify", "track": trackID, "position_ms": st.PositionMs})
	d.log.Info("handed back to Spotify", "context", ctxURI, "track", trackID, "position_ms", st.PositionMs)
}

// trackStarted notes the playlist position of a queue entry from the
// playlist as it starts: the hand-back continues the playlist after it.
func (d *daemon) trackStarted(i int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i >= 0 && i < len(d.queuePos) && d.queuePos[i] >= 0 {
		d.conn.heardPos = d.queuePos[i]
	}
}

// trackEnded hands back to Spotify, when a hand-back waits for the end of
// a track, at the playlist entry after the last one heard (a track Spotify
// has and the library lacks is played too); not while a track the
// listener queued comes next, which plays first.
func (d *daemon) trackEnded(ctx context.Context, i int) {
	st := d.engine.Status()
	d.mu.Lock()
	handback, heard := d.conn.handback, d.conn.heardPos
	added := st.Index >= 0 && st.Index != i && st.Index < len(d.queuePos) && d.queuePos[st.Index] < 0
	d.mu.Unlock()
	switch {
	case !handback:
	case added:
		d.log.Info("hand-back to Spotify waits for the end of the track you queued")
	case heard >= 0:
		d.handBackAt(ctx, heard+1, st.Index)
	}
}

// handBackAt stops local playback and starts the playlist on Spotify at
// entry pos, from its start; if Spotify refuses, local playback goes on at
// queue entry resume.
func (d *daemon) handBackAt(ctx context.Context, pos, resume int) {
	d.mu.Lock()
	cmd, device, playlist := d.conn.cmd, d.conn.device, d.playlist
	d.mu.Unlock()
	if cmd == nil || playlist == nil {
		return
	}
	d.engine.Stop() // never two sources at once: local stops first
	if err := d.startOnSpotify(ctx, cmd, device, playlist.ID, pos, "", 0); err != nil {
		d.log.Warn("hand-back to Spotify failed; staying local", "err", err)
		if resume >= 0 {
			d.engine.Play(resume)
		}
		return
	}
	d.handedBack(map[string]any{"source": "spotify", "playlist_index": pos})
}

// toSpotify stops local playback and starts Spotify at queue entry i's
// track and positionMs; an entry that is not from the playlist stays local.
func (d *daemon) toSpotify(ctx context.Context, i int, positionMs int64) {
	d.mu.Lock()
	cmd, device, playlist := d.conn.cmd, d.conn.device, d.playlist
	var trackID string
	pos := -1
	if i >= 0 && i < len(d.queueMeta) {
		trackID, pos = d.queueMeta[i].SpotifyID, d.queuePos[i]
	}
	d.mu.Unlock()
	if cmd == nil || playlist == nil || trackID == "" || pos < 0 {
		return
	}
	d.engine.Stop() // never two sources at once: local stops first
	if err := d.startOnSpotify(ctx, cmd, device, playlist.ID, 0, trackID, positionMs); err != nil {
		d.log.Warn("hand-back to Spotify failed; staying local", "err", err)
		d.engine.Play(i)
		if positionMs > 0 {
			d.engine.SeekMs(positionMs)
		}
		return
	}
	d.handedBack(map[string]any{"source": "spotify", "track": trackID, "position_ms": positionMs})
}

// handedBack records that Spotify plays again.
func (d *daemon) handedBack(ev map[string]any) {
	d.mu.Lock()
	d.source, d.conn.failed, d.conn.handback = "spotify", false, false
	d.conn.last = nil // the status waits for a poll of the new playback
	d.mu.Unlock()
	d.events.publish("source", ev)
	d.log.Info("handed back to Spotify", "at", ev)
}

// guardOverlap pauses Spotify when it plays while tapedeck plays locally
// (the official app resumed by itself): never two sources at once.
func (d *daemon) guardOverlap(ctx context.Context) {
	if d.playingLocally() {
		d.log.Info("Spotify started playing while tapedeck plays locally: pausing Spotify")
		d.quietSpotify(ctx)
	}
}

// playingLocally reports that the local player plays as the source.
func (d *daemon) playingLocally() bool {
	d.mu.Lock()
	local := d.source == "local"
	d.mu.Unlock()
	return local && d.engine.Status().State.String() == "playing"
}

// spotifyPlay starts a playlist on Spotify Connect (source auto or
// spotify) and queues its local copies for a fail-over.
func (d *daemon) spotifyPlay(ctx context.Context, req api.PlayRequest) error {
	d.mu.Lock()
	cmd, state, cause := d.conn.cmd, d.spotify.Connectivity, d.spotify.LastError
	d.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%w: run `tapedeck login`", api.ErrNotLinked)
	}
	// The monitor belongs to the poll goroutine; its state is mirrored here.
	if state != string(failover.Online) && state != string(failover.Degraded) {
		return fmt.Errorf("%w: Spotify is %s (%s)", api.ErrNoTrack, state, cause)
	}
	p, err := d.store.FindPlaylist(ctx, req.Playlist)
	if err != nil {
		return err
	}
	devices, err := cmd.Devices(ctx)
	if err != nil {
		return err
	}
	dev, err := tdsync.PickDevice(devices, d.cfg.Spotify.Device)
	if err != nil {
		return fmt.Errorf("%w: %v", api.ErrNoTrack, err)
	}
	if err := d.startOnSpotify(ctx, cmd, string(dev.ID), p.ID, req.Index, "", req.PositionMs); err != nil {
		return err
	}
	d.engine.Stop()
	d.load(ctx, api.PlayRequest{Playlist: p.ID}) // ready for a fail-over; no local copy is fine
	d.mu.Lock()
	d.source, d.conn.device, d.conn.context, d.conn.failed = "spotify", string(dev.ID), p.ID, false
	d.conn.last = nil // the status waits for a poll of the new playback
	d.playlist = &api.PlaylistRef{ID: p.ID, Name: p.Name, Items: p.Items, PlayableOffline: p.Playable}
	d.mu.Unlock()
	d.events.publish("source", map[string]any{"source": "spotify", "device": dev.Name})
	return nil
}

// Outages implements api.Backend.
func (d *daemon) Outages(context.Context) ([]api.Outage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := append([]api.Outage{}, d.conn.outages...)
	if o := d.conn.outage; o != nil {
		out = append(out, *o)
	}
	return out, nil
}

// spotifyStatus describes what Spotify plays, for the status.
func (d *daemon) spotifyStatus(ctx context.Context, out *api.Status) {
	d.mu.Lock()
	st, at := d.conn.last, d.conn.lastAt
	d.mu.Unlock()
	if st == nil || st.Item == nil {
		return
	}
	out.State = "paused"
	if st.Playing {
		out.State = "playing"
	}
	out.Shuffle = st.ShuffleState
	out.Repeat = map[string]string{"context": "all", "track": "one"}[st.RepeatState]
	if out.Repeat == "" {
		out.Repeat = "off"
	}
	snap := snapshot(st)
	out.PositionMs = failover.Extrapolate(*snap, at, d.now())
	t := st.Item
	names := make([]string, len(t.Artists))
	for i, a := range t.Artists {
		names[i] = a.Name
	}
	out.Track = &api.TrackInfo{SpotifyID: string(t.ID), Title: t.Name, Artists: names, Album: t.Album.Name,
		DurationMs: int64(t.Duration), LocalPath: d.localPathOf(ctx, string(t.ID))}
}

// localPathOf is the matched local file of a Spotify track ("" if none).
func (d *daemon) localPathOf(ctx context.Context, id string) string {
	d.mu.Lock()
	p, ok := d.conn.trackPath[id]
	d.mu.Unlock()
	if ok {
		return p
	}
	if m, err := d.store.MatchOf(ctx, id); err == nil && m.LocalID != 0 {
		if lt, err := d.store.TrackByID(ctx, m.LocalID); err == nil {
			p = lt.Path
		}
	}
	d.mu.Lock()
	if d.conn.trackPath == nil {
		d.conn.trackPath = map[string]string{}
	}
	d.conn.trackPath[id] = p
	d.mu.Unlock()
	return p
}
