package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	gosync "sync"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/config"
	"github.com/tapedeck/tapedeck/failover"
	"github.com/tapedeck/tapedeck/library"
	"github.com/tapedeck/tapedeck/match"
	"github.com/tapedeck/tapedeck/metrics"
	"github.com/tapedeck/tapedeck/mpris"
	"github.com/tapedeck/tapedeck/player"
	tdsync "github.com/tapedeck/tapedeck/sync"
	"github.com/tapedeck/tapedeck/web"
)

func (a *app) daemonCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "daemon",
		Short: "Run tapedeck: index the library, sync Spotify, serve the control API, play",
		Long: `Run the tapedeck daemon in the foreground. It indexes library.dirs (and
rescans when files change), syncs Spotify every spotify.sync_interval once
you have run ` + "`tapedeck login`" + `, keeps the matches up to date, plays through
player.output, and serves the control API on http.listen (loopback by
default). SIGINT or SIGTERM stops it cleanly. One daemon per state_dir.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			d, err := newDaemon(cmd.Context(), cfg, a.logger)
			if err != nil {
				return err
			}
			return d.run(cmd.Context())
		},
	}
}

// daemon is the application: the store, the player, the jobs, and the
// api.Backend they serve.
type daemon struct {
	cfg    config.Config
	log    *slog.Logger
	store  *cache.Store
	engine *player.Engine
	events *hub
	unlock func()

	scanNow chan struct{} // asks the scan job for a scan
	syncNow chan struct{} // asks the sync job for a sync

	now     func() time.Time
	conn    connect
	metrics *metrics.Metrics
	// app follows the Spotify app on this computer over MPRIS (nil when
	// spotify.watch_app is off); its readings reach the poll goroutine,
	// which owns the monitor, through appReports (the latest one wins).
	app        *mpris.AppWatcher
	appReports chan mpris.AppState

	mu        gosync.Mutex
	source    string           // what plays: "spotify", "local" or "none"
	queueMeta []api.QueueEntry // parallel to the engine's queue
	queuePos  []int            // each queued entry's position in its playlist
	playlist  *api.PlaylistRef
	outputErr error // the audio output failed: playback is off
	scanning  bool
	syncing   bool
	lastScan  time.Time
	tracks    int // in the index, counted after each scan (not per status request)
	spotify   api.SpotifyStatus
}

func newDaemon(ctx context.Context, cfg config.Config, log *slog.Logger) (*daemon, error) {
	unlock, err := lockStateDir(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	store, err := cache.Open(ctx, cfg.DBPath())
	if err != nil {
		unlock()
		return nil, err
	}
	th := failover.DefaultThresholds()
	th.PollEvery = cfg.Spotify.PollInterval.Duration
	d := &daemon{
		cfg: cfg, log: log, store: store, events: newHub(), unlock: unlock, now: time.Now, source: "none",
		scanNow: make(chan struct{}, 1), syncNow: make(chan struct{}, 1),
		conn: connect{mon: failover.NewMonitor(th), heardPos: -1}, metrics: metrics.New(),
	}
	if cfg.Spotify.WatchApp {
		d.app = mpris.NewAppWatcher(log.With("component", "spotify-app"), mpris.Bus(cfg.Player.MPRISBus), appReadEvery)
		d.appReports = make(chan mpris.AppState, 1)
	}
	d.engine, err = d.newEngine()
	if err != nil {
		store.Close()
		unlock()
		return nil, err
	}
	d.spotify.Connectivity = "not_linked"
	if _, err := tdsync.NewTokenFile(cfg.StateDir).Load(); err == nil {
		d.spotify.Connectivity = "unknown"
	}
	d.metrics.SetConnectivity(d.spotify.Connectivity)
	return d, nil
}

func (d *daemon) newEngine() (*player.Engine, error) {
	out, err := player.ParseOutput(d.cfg.Player.Output)
	if err != nil {
		return nil, fmt.Errorf("player.output: %w", err)
	}
	rg, err := player.ParseReplayGain(d.cfg.Player.ReplayGain)
	if err != nil {
		return nil, fmt.Errorf("player.replaygain: %w", err)
	}
	return player.New(out, player.Options{SampleRate: d.cfg.Player.SampleRate, ReplayGain: rg,
		PreampDB: d.cfg.Player.PreampDB, Logger: d.log.With("component", "player")}), nil
}

// lockStateDir makes sure one daemon runs per state directory.
func lockStateDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	path := filepath.Join(dir, "daemon.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(path)
		f.Close()
		who := ""
		if p := strings.TrimSpace(string(pid)); p != "" {
			who = " (pid " + p + ")"
		}
		return nil, fmt.Errorf("another tapedeck daemon is running on %s%s: stop it first, or give this one another state_dir", dir, who)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// run serves until ctx ends, then stops playback, lets writes finish,
// closes the database and returns nil.
func (d *daemon) run(ctx context.Context) error {
	defer d.unlock()
	defer d.store.Close()
	defer d.events.close()
	srv, err := api.New(d, api.Options{Listen: d.cfg.HTTP.Listen, Token: d.cfg.HTTP.Token, Socket: d.cfg.HTTP.Socket,
		AllowedHosts: d.cfg.HTTP.AllowedHosts, Logger: d.log.With("component", "api"), Version: versionString(),
		Metrics: d.metrics.Handler(), Page: web.Handler()})
	if err != nil {
		return err
	}
	d.log.Info("tapedeck daemon starting", "listen", d.cfg.HTTP.Listen, "library", strings.Join(d.cfg.Library.Dirs, ":"),
		"output", d.cfg.Player.Output, "spotify", d.spotify.Connectivity)
	if d.spotify.Connectivity == "not_linked" {
		d.log.Info("Spotify is not linked: playlists come from `tapedeck login` then `tapedeck sync` (see README, \"Link Spotify\"); local files play meanwhile")
	}
	// Bind first: systemd (Type=notify) counts the daemon as started at
	// READY=1, which must mean the API answers.
	if err := srv.Listen(); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	g.Go(func() error { return systemdJob(gctx, d.log.With("component", "systemd")) })
	g.Go(func() error { return d.playerJob(gctx) })
	g.Go(func() error { return d.forwardPlayerEvents(gctx) })
	g.Go(func() error { return d.scanJob(gctx) })
	g.Go(func() error { return d.syncJob(gctx) })
	g.Go(func() error { return d.connectJob(gctx) })
	if d.cfg.Player.MPRIS {
		g.Go(func() error {
			return mpris.Run(gctx, mpris.Bus(d.cfg.Player.MPRISBus), d, d.log.With("component", "mpris"))
		})
	}
	if d.app != nil {
		g.Go(func() error { return d.app.Run(gctx, d.reportApp) })
	}
	if d.cfg.Library.Watch {
		g.Go(func() error {
			return watchLibrary(gctx, d.cfg.Library.Dirs, 2*time.Second, d.log.With("component", "watch"), func() { poke(d.scanNow) })
		})
	}
	err = g.Wait()
	d.engine.Stop()
	if err != nil && ctx.Err() == nil {
		return err
	}
	d.log.Info("tapedeck daemon stopped")
	return nil
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// playerJob runs the engine. A dead audio output does not stop the daemon:
// the API keeps serving and says why nothing plays.
func (d *daemon) playerJob(ctx context.Context) error {
	err := d.engine.Run(ctx)
	if err != nil && ctx.Err() == nil {
		d.mu.Lock()
		d.outputErr = err
		d.mu.Unlock()
		d.log.Error("audio output failed; playback is off until the daemon restarts (set player.output to \"null\" or \"pipe:PATH\" on a machine without sound)", "err", err)
		d.events.publish("error", map[string]string{"error": err.Error()})
	}
	<-ctx.Done()
	return nil
}

// forwardPlayerEvents publishes the engine's events, and the position once
// a second while playing.
func (d *daemon) forwardPlayerEvents(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-d.engine.Events():
			switch ev.Type {
			case player.EventTrackStart:
				d.trackStarted(ev.Index)
				d.events.publish("track", d.trackInfo(ev.Index))
			case player.EventTrackEnd:
				if ev.Finished {
					d.trackEnded(ctx, ev.Index)
				}
			case player.EventState:
				d.events.publish("state", map[string]string{"state": ev.State.String()})
				d.metrics.SetPlayback(ev.State.String(), d.currentSource())
			case player.EventError:
				d.events.publish("error", map[string]string{"path": ev.Track.Path, "error": fmt.Sprint(ev.Err)})
			}
		case <-tick.C:
			st := d.engine.Status()
			d.metrics.SetPlayback(st.State.String(), d.currentSource())
			if st.State == player.StatePlaying {
				d.events.publish("position", map[string]int64{"position_ms": st.PositionMs, "duration_ms": st.DurationMs})
			}
		}
	}
}

// scanJob scans at start, when asked (API, watcher) and every
// library.rescan_interval.
func (d *daemon) scanJob(ctx context.Context) error {
	var tick <-chan time.Time
	if iv := d.cfg.Library.RescanInterval.Duration; iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	d.scan(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		case <-d.scanNow:
		}
		d.scan(ctx)
	}
}

func (d *daemon) scan(ctx context.Context) {
	d.setBusy(&d.scanning, true)
	defer d.setBusy(&d.scanning, false)
	sc := library.New(d.store, d.cfg.Library.Dirs)
	sc.Workers = d.cfg.Library.ScanWorkers
	sc.Logger = d.log.With("component", "scanner")
	last := time.Now()
	sc.OnProgress = func(p library.Progress) {
		if time.Since(last) > 500*time.Millisecond || p.Done == p.Total {
			last = time.Now()
			d.events.publish("scan", map[string]any{"phase": "reading", "done": p.Done, "total": p.Total})
		}
	}
	d.events.publish("scan", map[string]any{"phase": "started"})
	t0 := time.Now()
	res, err := sc.Scan(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.metrics.ObserveScan(time.Since(t0), err)
			d.log.Error("scan failed", "err", err)
			d.events.publish("scan", map[string]any{"phase": "failed", "error": err.Error()})
		}
		return
	}
	d.metrics.ObserveScan(time.Since(t0), nil)
	stats, err := d.store.Stats(ctx)
	if err != nil {
		d.log.Error("count indexed tracks", "err", err)
	} else {
		d.metrics.SetLibraryTracks(stats.Tracks)
	}
	d.mu.Lock()
	first := d.lastScan.IsZero()
	d.lastScan = time.Now()
	d.tracks = stats.Tracks
	d.mu.Unlock()
	for _, fe := range res.Errors {
		if first && slices.Contains(d.cfg.Library.Dirs, fe.Path) {
			d.log.Warn("library folder unavailable: put your music there or set library.dirs (TAPEDECK_LIBRARY_DIRS)", "detail", fe.Error)
		}
	}
	matched, err := match.NewRematcher(d.store).Run(ctx, false)
	if err != nil {
		d.log.Error("rematch after scan failed", "err", err)
	}
	if res.Added+res.Updated+res.Removed+res.Failed > 0 {
		d.log.Info("library scanned", "added", res.Added, "updated", res.Updated, "removed", res.Removed,
			"unchanged", res.Unchanged, "failed", res.Failed, "rematched", matched.Checked)
	}
	d.updateCoverage(ctx)
	d.events.publish("scan", map[string]any{"phase": "done", "result": res, "rematched": matched.Checked})
}

// syncJob syncs Spotify at start and every spotify.sync_interval when
// linked, and when asked.
func (d *daemon) syncJob(ctx context.Context) error {
	var tick <-chan time.Time
	if iv := d.cfg.Spotify.SyncInterval.Duration; iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	first := time.After(5 * time.Second) // let the first scan go first
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-first:
			first = nil
		case <-tick:
		case <-d.syncNow:
		}
		d.sync(ctx)
	}
}

func (d *daemon) sync(ctx context.Context) {
	log := d.log.With("component", "sync")
	oc := tdsync.OAuthConfig(d.cfg.Spotify.ClientID, d.cfg.Spotify.AccountsURL, d.cfg.Spotify.RedirectURL)
	src, err := tdsync.NewTokenSource(ctx, oc, tdsync.NewTokenFile(d.cfg.StateDir), log)
	if errors.Is(err, tdsync.ErrNotLoggedIn) {
		return // the connect job reports not_linked
	}
	if err != nil {
		d.setSyncError(err.Error())
		return
	}
	policy := tdsync.DefaultRetry()
	policy.Base = d.metrics.Transport(nil)
	client, err := tdsync.NewClient(d.cfg.Spotify.APIURL, src, policy, log)
	if err != nil {
		d.setSyncError(err.Error())
		return
	}
	d.setBusy(&d.syncing, true)
	defer d.setBusy(&d.syncing, false)
	d.events.publish("sync", map[string]any{"phase": "started"})
	syncer := tdsync.NewSyncer(client, d.store)
	syncer.Logger = log
	t0 := time.Now()
	res, err := syncer.Sync(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		d.metrics.ObserveSync(time.Since(t0), err)
		d.setSyncError(err.Error())
		log.Warn("sync failed", "err", err)
		d.events.publish("sync", map[string]any{"phase": "failed", "error": err.Error()})
		return
	}
	lastErr := ""
	var partial error
	if res.Failed > 0 {
		lastErr = res.Errors[0].Error
		partial = errors.New(lastErr)
	}
	d.metrics.ObserveSync(time.Since(t0), partial)
	d.setSyncError(lastErr)
	d.mu.Lock()
	now := time.Now()
	d.spotify.LastSync = &now
	d.mu.Unlock()
	matched, err := match.NewRematcher(d.store).Run(ctx, false)
	if err != nil {
		log.Error("rematch after sync failed", "err", err)
	}
	log.Info("Spotify synced", "fetched", res.Fetched, "unchanged", res.Unchanged, "removed", res.Removed,
		"failed", res.Failed, "requests", res.Requests, "rematched", matched.Checked)
	d.updateCoverage(ctx)
	d.events.publish("sync", map[string]any{"phase": "done", "result": res, "rematched": matched.Checked})
}

func (d *daemon) setBusy(flag *bool, v bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	*flag = v
}

// setSyncError records the last sync problem ("" when it went well).
func (d *daemon) setSyncError(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.spotify.LastError = msg
}

// setSpotify records the Spotify connectivity (the connect job's monitor
// decides it).
func (d *daemon) setSpotify(state, lastErr string) {
	d.mu.Lock()
	if d.spotify.Connectivity != state {
		now := d.now()
		d.spotify.Connectivity, d.spotify.Since = state, &now
		d.metrics.SetConnectivity(state)
	}
	d.spotify.LastError = lastErr
	d.mu.Unlock()
}

// updateCoverage publishes each playlist's offline coverage as metrics.
func (d *daemon) updateCoverage(ctx context.Context) {
	ps, err := d.store.Playlists(ctx)
	if err != nil {
		d.log.Warn("playlist coverage for metrics", "err", err)
		return
	}
	cs := make([]metrics.Coverage, len(ps))
	for i, p := range ps {
		cs[i] = metrics.Coverage{ID: p.ID, Name: p.Name, Playable: p.Playable, Items: p.Items}
	}
	d.metrics.SetCoverage(cs)
}
