package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/config"
	tdsync "github.com/tapedeck/tapedeck/sync"
)

// spotifyClient builds an API client from the stored login.
func (a *app) spotifyClient(ctx context.Context, cfg config.Config) (*tdsync.Client, error) {
	oc := tdsync.OAuthConfig(cfg.Spotify.ClientID, cfg.Spotify.AccountsURL, cfg.Spotify.RedirectURL)
	log := a.logger.With("component", "spotify")
	src, err := tdsync.NewTokenSource(ctx, oc, tdsync.NewTokenFile(cfg.StateDir), log)
	if err != nil {
		return nil, err
	}
	return tdsync.NewClient(cfg.Spotify.APIURL, src, tdsync.DefaultRetry(), log)
}

func (a *app) loginCmd() *cobra.Command {
	var noBrowser bool
	c := &cobra.Command{
		Use:   "login",
		Short: "Link tapedeck to your Spotify account",
		Long: `Link tapedeck to your Spotify account (OAuth 2.0 authorization code with
PKCE; no client secret). Set spotify.client_id to your own Spotify app's client
ID first (README, "Link Spotify"). tapedeck listens on spotify.redirect_url
for Spotify's answer and saves the token in state_dir (mode 0600).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			store := tdsync.NewTokenFile(cfg.StateDir)
			login := &tdsync.Login{
				Config: tdsync.OAuthConfig(cfg.Spotify.ClientID, cfg.Spotify.AccountsURL, cfg.Spotify.RedirectURL),
				Store:  store,
				Logger: a.logger,
				ShowURL: func(u string) {
					if noBrowser || !openBrowser(u) {
						fmt.Fprintln(a.stderr, "Open this URL in a browser on this machine and approve tapedeck:")
						fmt.Fprintln(a.stdout, u)
					} else {
						fmt.Fprintf(a.stderr, "Approve tapedeck in the browser window. If none opened, visit:\n%s\n", u)
					}
					fmt.Fprintf(a.stderr, "Waiting for Spotify's answer on %s ...\n", cfg.Spotify.RedirectURL)
				},
			}
			if err := login.Run(cmd.Context()); err != nil {
				return err
			}
			client, err := a.spotifyClient(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if u, err := client.CurrentUser(cmd.Context()); err == nil {
				fmt.Fprintf(a.stderr, "Linked to Spotify as %s (%s). Next: `tapedeck sync`.\n", u.DisplayName, u.ID)
			} else {
				fmt.Fprintf(a.stderr, "Linked to Spotify (could not read the account name: %v). Next: `tapedeck sync`.\n", err)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&noBrowser, "no-browser", false, "print the URL to open instead of opening a browser")
	return c
}

// openBrowser opens u in the desktop's browser, if there is a desktop.
func openBrowser(u string) bool {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return false
	}
	path, err := exec.LookPath("xdg-open")
	if err != nil {
		return false
	}
	return exec.Command(path, u).Start() == nil
}

func (a *app) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the Spotify login (synced playlists stay)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			if err := tdsync.NewTokenFile(cfg.StateDir).Delete(); err != nil {
				return err
			}
			fmt.Fprintln(a.stderr, "Spotify login forgotten. To revoke tapedeck's access too, remove it at https://www.spotify.com/account/apps/.")
			return nil
		},
	}
}

func (a *app) syncCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "sync",
		Short: "Copy your Spotify playlists and Liked Songs into the local index",
		Long: `Fetch your playlists and Liked Songs through the Spotify Web API. Playlists
whose snapshot is unchanged are not fetched again; a playlist that fails keeps
its previous copy; playlists you no longer have are dropped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			client, err := a.spotifyClient(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			store, err := cache.Open(cmd.Context(), cfg.DBPath())
			if err != nil {
				return err
			}
			defer store.Close()
			syncer := tdsync.NewSyncer(client, store)
			syncer.Logger = a.logger.With("component", "sync")
			start := time.Now()
			res, err := syncer.Sync(cmd.Context())
			if err != nil {
				return err
			}
			matched, err := a.rematch(cmd.Context(), store, false)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(res)
			}
			fmt.Fprintf(a.stdout, "Synced %d playlists in %s: %d fetched (%d entries), %d unchanged, %d removed, %d unreadable, %d failed; %d requests.\n",
				res.Playlists, time.Since(start).Round(time.Millisecond), res.Fetched, res.Items, res.Unchanged, res.Removed,
				res.Unreadable, res.Failed, res.Requests)
			for _, e := range res.Errors {
				fmt.Fprintf(a.stdout, "  %s (%s): %s\n", e.Name, e.ID, e.Error)
			}
			if matched.Checked > 0 {
				fmt.Fprintf(a.stdout, "Matched %d new or changed tracks to local files: %d have a local copy. See `tapedeck playlists`.\n", matched.Checked, matched.Matched)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return c
}

func (a *app) openStore(cmd *cobra.Command) (*cache.Store, error) {
	cfg, err := a.load()
	if err != nil {
		return nil, err
	}
	return cache.Open(cmd.Context(), cfg.DBPath())
}

// withStore is a command's RunE with the database open, closed after.
func (a *app) withStore(run func(cmd *cobra.Command, store *cache.Store, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		store, err := a.openStore(cmd)
		if err != nil {
			return err
		}
		defer store.Close()
		return run(cmd, store, args)
	}
}

func (a *app) playlistsCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "playlists",
		Short: "List synced playlists",
		Args:  cobra.NoArgs,
		RunE: a.withStore(func(cmd *cobra.Command, store *cache.Store, _ []string) error {
			ps, err := store.Playlists(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if ps == nil {
					ps = []cache.Playlist{}
				}
				return writeJSON(a, ps)
			}
			if len(ps) == 0 {
				fmt.Fprintln(a.stderr, "No playlists yet: run `tapedeck login`, then `tapedeck sync`.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tITEMS\tOFFLINE\tREADABLE\tSYNCED")
			for _, p := range ps {
				readable := "yes"
				if !p.Readable {
					readable = "no (403)"
				}
				synced := "never"
				if !p.SyncedAt.IsZero() {
					synced = p.SyncedAt.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d (%.0f%%)\t%s\t%s\n", p.ID, clip(p.Name), p.Items, p.Playable, p.Coverage, readable, synced)
			}
			return tw.Flush()
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return c
}

func (a *app) playlistCmd() *cobra.Command {
	c := &cobra.Command{Use: "playlist", Short: "Look at one synced playlist"}
	var asJSON bool
	show := &cobra.Command{
		Use:   "show ID|URI|NAME",
		Short: "List a playlist's items in order",
		Args:  cobra.ExactArgs(1),
		RunE: a.withStore(func(cmd *cobra.Command, store *cache.Store, args []string) error {
			p, err := store.FindPlaylist(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			items, err := store.PlaylistItems(cmd.Context(), p.ID)
			if err != nil {
				return err
			}
			if asJSON {
				if items == nil {
					items = []cache.PlaylistItem{}
				}
				return writeJSON(a, struct {
					cache.Playlist
					Entries []cache.PlaylistItem `json:"entries"`
				}{p, items})
			}
			fmt.Fprintf(a.stdout, "%s (%s), %d items, %d playable offline (%.0f%%)\n", p.Name, p.ID, len(items), p.Playable, p.Coverage)
			if !p.Readable {
				fmt.Fprintf(a.stdout, "Not readable: %s\n", p.Unreadable)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "#\tARTIST\tTITLE\tALBUM\tTIME\tOFFLINE")
			for _, it := range items {
				if it.Track == nil {
					fmt.Fprintf(tw, "%d\t\t(unavailable)\t\t\t\n", it.Position+1)
					continue
				}
				t := it.Track
				names := cache.ArtistNames(t.Artists)
				offline := "-"
				switch {
				case it.LocalPath != "":
					offline = it.LocalPath + " (" + it.MatchMethod + ")"
				case t.Kind == "episode":
					offline = "episode"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", it.Position+1, clip(strings.Join(names, ", ")), clip(t.Name),
					clip(t.AlbumName), clock(t.DurationMs), offline)
			}
			return tw.Flush()
		}),
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print the playlist and its entries as JSON")
	c.AddCommand(show)
	return c
}

func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
