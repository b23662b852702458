package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/config"
	"github.com/tapedeck/tapedeck/library"
	"github.com/tapedeck/tapedeck/match"
	tdsync "github.com/tapedeck/tapedeck/sync"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// demoSongs are the demo playlist: distinct tones, so the speaker tells
// which track plays.
var demoSongs = []struct {
	title string
	hz    float64
}{{"Low Hum", 220}, {"Middle Tone", 330}, {"Concert A", 440}, {"High Whistle", 660}}

func (a *app) demoCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "demo",
		Short: "See fail-over and hand-back in a minute, with no account and no music",
		Long: `Start a fake Spotify in this process, make a small library of tones, sync a
demo playlist, play it "on Spotify", cut the fake off, and show tapedeck
carrying on from the local copy at the same track and position, then
handing back when the fake returns. Nothing touches your real account,
library or state: everything lives in a temporary folder.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			if output != "" {
				cfg.Player.Output = output
			}
			return a.runDemo(cmd.Context(), cfg)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "speaker, null or pipe:PATH (default player.output)")
	return c
}

func (a *app) runDemo(ctx context.Context, base config.Config) error {
	say := func(format string, args ...any) { fmt.Fprintf(a.stdout, format+"\n", args...) }
	tmp, err := os.MkdirTemp("", "tapedeck-demo-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	srv := spotifytest.New()
	defer srv.Close()
	srv.AddDevice(spotifytest.Device{ID: "demo-speaker", Name: "Demo Speaker", Type: "Speaker", VolumePercent: 60, IsActive: true})

	cfg := base
	cfg.StateDir = filepath.Join(tmp, "state")
	cfg.Library.Dirs = []string{filepath.Join(tmp, "Music")}
	cfg.Library.Watch = false
	cfg.Player.MPRIS = false     // a running tapedeck may hold the name
	cfg.Spotify.WatchApp = false // a real Spotify app is no part of the demo
	cfg.Spotify.APIURL, cfg.Spotify.AccountsURL, cfg.Spotify.ClientID = srv.APIURL(), srv.AccountsURL(), srv.ClientID
	cfg.Spotify.SyncInterval.Duration = 0
	cfg.Spotify.PollInterval.Duration = 500 * time.Millisecond
	cfg.Spotify.Handback = "immediately"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg.HTTP.Listen = ln.Addr().String()
	ln.Close()

	say("1. A small library of tones in %s, and a fake Spotify with a playlist of the same songs.", cfg.Library.Dirs[0])
	var items []spotifytest.Item
	for i, s := range demoSongs {
		isrc := fmt.Sprintf("ZZDEM26%05d", i+1)
		path := filepath.Join(cfg.Library.Dirs[0], "Tapedeck Demo", fmt.Sprintf("%02d %s.wav", i+1, s.title))
		if err := writeToneWAV(path, s.hz, 20*time.Second, s.title, "Tapedeck Demo", isrc); err != nil {
			return err
		}
		items = append(items, spotifytest.Item{AddedAt: time.Now(), Track: &spotifytest.Track{
			ID: fmt.Sprintf("demo%d", i+1), Name: s.title, DurationMs: 20000, ISRC: isrc,
			Artists: []spotifytest.Artist{{ID: "demoartist", Name: "Tapedeck Demo"}},
			Album:   spotifytest.Album{ID: "demoalbum", Name: "Tones", ReleaseDate: "2026"}}})
	}
	srv.AddPlaylist(spotifytest.Playlist{ID: "demoplaylist", Name: "Demo Road Trip", Items: items})
	access, refresh := srv.IssueTokens()
	if err := tdsync.NewTokenFile(cfg.StateDir).Save(&oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(time.Hour)}); err != nil {
		return err
	}
	matched, err := demoIndex(ctx, a, cfg)
	if err != nil {
		return err
	}
	say("2. Indexed the files, synced the playlist: %d of %d tracks have a local copy.", matched, len(demoSongs))

	d, err := newDaemon(ctx, cfg, a.logger)
	if err != nil {
		return err
	}
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- d.run(dctx) }()
	wait := func(what string, cond func(api.Status) bool) (api.Status, error) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			st := d.Status(ctx)
			if cond(st) {
				return st, nil
			}
			if time.Now().After(deadline) {
				return st, fmt.Errorf("demo: timed out waiting for %s", what)
			}
			select {
			case err := <-done:
				return st, fmt.Errorf("demo: the daemon stopped: %v", err)
			case <-ctx.Done():
				return st, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if _, err := wait("Spotify", func(st api.Status) bool { return st.Spotify.Connectivity == "online" }); err != nil {
		return err
	}
	if err := d.Play(ctx, api.PlayRequest{Playlist: "Demo Road Trip"}); err != nil {
		return err
	}
	if _, err := wait("Spotify to play", func(st api.Status) bool { return st.Track != nil && st.State == "playing" }); err != nil {
		return err
	}
	say("3. Playing \"Demo Road Trip\" on Spotify (device \"Demo Speaker\", which is silent: it is a fake).")
	show := func(st api.Status) {
		if st.Track != nil {
			say("   source %-7s  %-12s  %s  %s", st.Source, st.Track.Title, clock(st.PositionMs), st.Spotify.Connectivity)
		}
	}
	for range 4 {
		show(d.Status(ctx))
		time.Sleep(time.Second)
	}
	say("4. Cutting Spotify off: every connection is now refused.")
	cut := time.Now()
	srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse})
	st, err := wait("the fail-over", func(st api.Status) bool { return st.Source == "local" })
	if err != nil {
		return err
	}
	say("5. Spotify unreachable (%s): %.1f s later tapedeck plays your own copy of %q from %s.",
		st.Spotify.LastError, time.Since(cut).Seconds(), st.Track.Title, clock(st.PositionMs))
	if st.OutputError != "" {
		say("   (your audio output does not work here: %s; try `tapedeck demo --output null`)", st.OutputError)
	} else {
		say("   Listen: the %s tone now comes from %s.", st.Track.Title, cfg.Player.Output)
	}
	for range 5 {
		show(d.Status(ctx))
		time.Sleep(time.Second)
	}
	say("6. Spotify is back.")
	srv.EndOutage()
	st, err = wait("the hand-back", func(st api.Status) bool { return st.Source == "spotify" && st.Track != nil })
	if err != nil {
		return err
	}
	say("7. Handed back to Spotify at %q, %s, and the local player stopped: never both at once.", st.Track.Title, clock(st.PositionMs))
	for range 2 {
		show(d.Status(ctx))
		time.Sleep(time.Second)
	}
	outages, _ := d.Outages(ctx)
	for _, o := range outages {
		say("Outage: %s, %s, played locally %s.", o.Start.Local().Format("15:04:05"), o.Cause, (time.Duration(o.PlayedLocallyMs) * time.Millisecond).Round(time.Second))
	}
	say("That is tapedeck. Link your real account with `tapedeck login` (README, \"Link Spotify\").")
	stop()
	return <-done
}

// demoIndex scans the demo library, syncs the playlist and matches it.
func demoIndex(ctx context.Context, a *app, cfg config.Config) (int, error) {
	store, err := cache.Open(ctx, cfg.DBPath())
	if err != nil {
		return 0, err
	}
	defer store.Close()
	if _, err := library.New(store, cfg.Library.Dirs).Scan(ctx); err != nil {
		return 0, err
	}
	oc := tdsync.OAuthConfig(cfg.Spotify.ClientID, cfg.Spotify.AccountsURL, cfg.Spotify.RedirectURL)
	src, err := tdsync.NewTokenSource(ctx, oc, tdsync.NewTokenFile(cfg.StateDir), a.logger)
	if err != nil {
		return 0, err
	}
	client, err := tdsync.NewClient(cfg.Spotify.APIURL, src, tdsync.DefaultRetry(), a.logger)
	if err != nil {
		return 0, err
	}
	if _, err := tdsync.NewSyncer(client, store).Sync(ctx); err != nil {
		return 0, err
	}
	res, err := match.NewRematcher(store).Run(ctx, true)
	return res.Matched, err
}

// writeToneWAV writes a sine tone as 16-bit stereo WAV with RIFF INFO tags.
func writeToneWAV(path string, hz float64, d time.Duration, title, artist, isrc string) error {
	const rate = 44100
	frames := int(d.Seconds() * rate)
	var info bytes.Buffer
	info.WriteString("INFO")
	for _, kv := range [][2]string{{"INAM", title}, {"IART", artist}, {"IPRD", "Tones"}, {"ISRC", isrc}} {
		v := append([]byte(kv[1]), 0)
		if len(v)%2 == 1 {
			v = append(v, 0)
		}
		info.WriteString(kv[0])
		binary.Write(&info, binary.LittleEndian, uint32(len(v)))
		info.Write(v)
	}
	var b bytes.Buffer
	dataLen := frames * 4
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+16+8+info.Len()+8+dataLen))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, struct {
		Size                uint32
		Format, Channels    uint16
		Rate, ByteRate      uint32
		BlockAlign, BitsPer uint16
	}{16, 1, 2, rate, rate * 4, 4, 16})
	b.WriteString("LIST")
	binary.Write(&b, binary.LittleEndian, uint32(info.Len()))
	b.Write(info.Bytes())
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(dataLen))
	for i := range frames {
		v := int16(0.3 * 32767 * math.Sin(2*math.Pi*hz*float64(i)/rate))
		binary.Write(&b, binary.LittleEndian, [2]int16{v, v})
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
