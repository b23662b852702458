package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/match"
)

// rematch brings the stored matches in step after a scan, a sync or an
// override; all rematches every track.
func (a *app) rematch(ctx context.Context, store *cache.Store, all bool) (match.RematchResult, error) {
	m := match.NewRematcher(store)
	m.Logger = a.logger.With("component", "match")
	res, err := m.Run(ctx, all)
	if err != nil {
		return res, fmt.Errorf("match playlist tracks to local files: %w", err)
	}
	return res, nil
}

func (a *app) matchCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "match",
		Short: "Match every playlist track to a local file again",
		Long: `Match every synced Spotify track to the local file that is the same
recording (ISRC, MusicBrainz id, then title, artists, album and duration; a
live version, remix, cover or another edit is never taken for the original).
scan and sync already rematch what changed; this redoes everything.

Subcommands explain a match and record your own decisions, which survive
rescans and resyncs. TRACK is a Spotify track id or URI (see
` + "`tapedeck playlist show --json`" + `).`,
		Args: cobra.NoArgs,
		RunE: a.withStore(func(cmd *cobra.Command, store *cache.Store, _ []string) error {
			res, err := a.rematch(cmd.Context(), store, true)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(res)
			}
			fmt.Fprintf(a.stdout, "Matched %d of %d Spotify tracks to local files (%d changed) in %d ms.\n",
				res.Matched, res.Checked, res.Changed, res.TookMs)
			return nil
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	c.AddCommand(a.matchExplainCmd(), a.overrideCmd("pin"), a.overrideCmd("reject"), a.overrideCmd("none"), a.overrideCmd("reset"))
	return c
}

func (a *app) matchExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain TRACK",
		Short: "Show the candidate files for a track, their scores and why each was taken or refused",
		Args:  cobra.ExactArgs(1),
		RunE: a.withStore(func(cmd *cobra.Command, store *cache.Store, args []string) error {
			t, res, err := match.NewRematcher(store).Explain(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s — %s (%s, %s)", strings.Join(cache.ArtistNames(t.Artists), ", "), t.Name, t.AlbumName, clock(t.DurationMs))
			if t.ISRC != "" {
				fmt.Fprintf(a.stdout, ", ISRC %s", t.ISRC)
			}
			fmt.Fprintf(a.stdout, "\n%s\n", t.URI)
			switch {
			case res.Local != nil:
				fmt.Fprintf(a.stdout, "Plays offline from %s\n  by %s, score %.2f\n", res.Local.Path, res.Method, res.Score)
			case res.Method == match.MethodNone:
				fmt.Fprintln(a.stdout, "No local copy: you said so (`tapedeck match reset` undoes it).")
			default:
				fmt.Fprintln(a.stdout, "No local copy found.")
			}
			if len(res.Candidates) == 0 {
				fmt.Fprintln(a.stdout, "No candidate file shares an ISRC, a MusicBrainz id or a title with it.")
				return nil
			}
			fmt.Fprintln(a.stdout, "\nCandidates:")
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  \tSCORE\tMETHOD\tFILE\tWHY")
			for _, c := range res.Candidates {
				mark := "refused"
				if res.Local != nil && c.Local.ID == res.Local.ID {
					mark = "TAKEN"
				} else if c.Accepted {
					mark = "same recording"
				}
				fmt.Fprintf(tw, "  %s\t%.2f\t%s\t%s\t%s\n", mark, c.Score, c.Method, c.Local.Path, c.Reason)
			}
			return tw.Flush()
		}),
	}
}

// overrides are the listener's decisions, as match subcommands.
var overrides = map[string]struct {
	use, short string
	args       int
}{
	cache.OverridePin:    {"pin TRACK PATH", "Always play this file for this track", 2},
	cache.OverrideReject: {"reject TRACK PATH", "Never play this file for this track", 2},
	cache.OverrideNone:   {"none TRACK", "Say you have no local copy of this track", 1},
	"reset":              {"reset TRACK", "Forget your decisions about this track", 1},
}

func (a *app) overrideCmd(kind string) *cobra.Command {
	o := overrides[kind]
	return &cobra.Command{
		Use:   o.use,
		Short: o.short,
		Args:  cobra.ExactArgs(o.args),
		RunE: a.withStore(func(cmd *cobra.Command, store *cache.Store, args []string) error {
			ctx := cmd.Context()
			t, err := store.SpotifyTrack(ctx, args[0])
			if err != nil {
				return err
			}
			o := cache.Override{SpotifyID: t.ID, Kind: kind}
			if len(args) == 2 {
				if o.Path, err = a.indexedPath(ctx, store, args[1]); err != nil {
					return err
				}
			}
			if kind == "reset" {
				n, err := store.ResetOverrides(ctx, t.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "Forgot %d decision(s) about %s.\n", n, t.Name)
			} else if err := store.SetOverride(ctx, o); err != nil {
				return err
			}
			if _, err := a.rematch(ctx, store, false); err != nil {
				return err
			}
			m, err := store.MatchOf(ctx, t.ID)
			if err != nil {
				return err
			}
			return a.printMatch(ctx, store, t, m)
		}),
	}
}

// indexedPath resolves path and checks it is a playable indexed file.
func (a *app) indexedPath(ctx context.Context, store *cache.Store, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	lt, err := store.TrackByPath(ctx, abs)
	if errors.Is(err, cache.ErrNotFound) {
		return "", fmt.Errorf("%s is not in the index: put it under library.dirs and run `tapedeck scan`", abs)
	}
	if err != nil {
		return "", err
	}
	if lt.DurationMs <= 0 && lt.ParseError != "" {
		return "", fmt.Errorf("%s cannot be played: %s", abs, lt.ParseError)
	}
	return abs, nil
}

func (a *app) printMatch(ctx context.Context, store *cache.Store, t cache.SpotifyTrack, m cache.Match) error {
	if m.LocalID == 0 {
		fmt.Fprintf(a.stdout, "%s: no local copy", t.Name)
		if m.Method == match.MethodNone {
			fmt.Fprint(a.stdout, " (you said so)")
		}
		fmt.Fprintln(a.stdout)
		return nil
	}
	lt, err := store.TrackByID(ctx, m.LocalID)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: plays from %s (%s)\n", t.Name, lt.Path, m.Method)
	return nil
}

func (a *app) missingCmd() *cobra.Command {
	var playlist, format string
	c := &cobra.Command{
		Use:   "missing",
		Short: "List the playlist tracks you have no local copy of",
		Long: `List the tracks of your playlists (or of one, with --playlist) that cannot
play offline because no local file matches them, so you can buy or rip them.
Formats: text (a table), csv, json.`,
		Args: cobra.NoArgs,
		RunE: a.withStore(func(cmd *cobra.Command, store *cache.Store, _ []string) error {
			id := ""
			if playlist != "" {
				p, err := store.FindPlaylist(cmd.Context(), playlist)
				if err != nil {
					return err
				}
				id = p.ID
			}
			missing, err := store.Missing(cmd.Context(), id)
			if err != nil {
				return err
			}
			return a.printMissing(missing, format)
		}),
	}
	c.Flags().StringVarP(&playlist, "playlist", "p", "", "only this playlist (id, URI or name)")
	c.Flags().StringVar(&format, "format", "text", "text, csv or json")
	return c
}

func (a *app) printMissing(missing []cache.MissingTrack, format string) error {
	switch format {
	case "json":
		if missing == nil {
			missing = []cache.MissingTrack{}
		}
		return writeJSON(a, missing)
	case "csv":
		w := csv.NewWriter(a.stdout)
		w.Write([]string{"artist", "title", "album", "duration", "isrc", "spotify_uri", "playlists"})
		for _, m := range missing {
			w.Write([]string{strings.Join(cache.ArtistNames(m.Artists), ", "), m.Name, m.AlbumName, clock(m.DurationMs), m.ISRC, m.URI, strings.Join(m.Playlists, "; ")})
		}
		w.Flush()
		return w.Error()
	case "text":
		if len(missing) == 0 {
			fmt.Fprintln(a.stderr, "Every synced track has a local copy (or nothing is synced yet: `tapedeck sync`).")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ARTIST\tTITLE\tALBUM\tTIME\tISRC\tPLAYLISTS")
		for _, m := range missing {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", clip(strings.Join(cache.ArtistNames(m.Artists), ", ")), clip(m.Name), clip(m.AlbumName), clock(m.DurationMs), m.ISRC, strings.Join(m.Playlists, "; "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "%d tracks have no local copy.\n", len(missing))
		return nil
	}
	return fmt.Errorf("%w: --format %q: use text, csv or json", errUsage, format)
}

func (a *app) exportCmd() *cobra.Command {
	c := &cobra.Command{Use: "export", Short: "Export playlists for other players"}
	var (
		playlist, out string
		all, relative bool
	)
	m3u := &cobra.Command{
		Use:   "m3u (--playlist ID|NAME | --all) --out DIR",
		Short: "Write the offline-playable tracks of playlists as M3U8 files",
		Long: `Write extended M3U8 playlists (#EXTM3U, #EXTINF) of the tracks that have a
local copy, in playlist order, one file per playlist, for MPD, VLC or a
phone. Tracks without a local copy are left out (see ` + "`tapedeck missing`" + `).
--relative writes paths relative to DIR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (playlist == "") == !all {
				return fmt.Errorf("%w: give --playlist ID|NAME or --all", errUsage)
			}
			if out == "" {
				return fmt.Errorf("%w: give --out DIR", errUsage)
			}
			store, err := a.openStore(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			var lists []cache.Playlist
			if all {
				if lists, err = store.Playlists(cmd.Context()); err != nil {
					return err
				}
			} else {
				p, err := store.FindPlaylist(cmd.Context(), playlist)
				if err != nil {
					return err
				}
				lists = []cache.Playlist{p}
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			written := map[string]bool{}
			for _, p := range lists {
				items, err := store.PlaylistItems(cmd.Context(), p.ID)
				if err != nil {
					return err
				}
				name := m3uName(p, written)
				n, err := writeM3U(filepath.Join(out, name), out, items, relative)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s: %d of %d tracks\n", filepath.Join(out, name), n, len(items))
			}
			return nil
		},
	}
	f := m3u.Flags()
	f.StringVarP(&playlist, "playlist", "p", "", "the playlist to export (id, URI or name)")
	f.BoolVar(&all, "all", false, "export every synced playlist")
	f.StringVarP(&out, "out", "o", "", "folder to write the .m3u8 files to")
	f.BoolVar(&relative, "relative", false, "write paths relative to --out")
	c.AddCommand(m3u)
	return c
}
