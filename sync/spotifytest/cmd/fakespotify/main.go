// Command fakespotify serves spotifytest's fake Spotify Web API and accounts
// service with generated playlists, for running tapedeck end to end without
// Spotify:
//
//	go run ./sync/spotifytest/cmd/fakespotify -playlists 20 -items 300
//
// It prints the environment variables that point tapedeck at it and serves
// until interrupted. Logins are approved at once.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakespotify:", err)
		os.Exit(2)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fakespotify", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (loopback; port 0 picks a free one)")
	playlists := fs.Int("playlists", 10, "number of generated playlists")
	items := fs.Int("items", 100, "entries in each generated playlist")
	liked := fs.Int("liked", 200, "number of Liked Songs")
	clientID := fs.String("client-id", spotifytest.DefaultClientID, "the only client ID accepted")
	keys := fs.String("keys", "item", `entry keys to send: "item" (2026), "both" or "track" (legacy)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	mode, ok := map[string]spotifytest.KeyMode{"item": spotifytest.KeysItem, "both": spotifytest.KeysBoth, "track": spotifytest.KeysTrack}[*keys]
	if !ok {
		return fmt.Errorf("-keys must be item, both or track, not %q", *keys)
	}

	srv, err := spotifytest.Listen(*addr)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.ClientID, srv.Keys = *clientID, mode
	srv.LoadDemo(*playlists, *items, *liked)
	srv.AddDevice(spotifytest.Device{ID: "fakespotify-speaker", Name: "Fake Speaker", Type: "Speaker", VolumePercent: 60})

	fmt.Fprintf(out, "fake Spotify listening on %s (%d playlists of %d entries, %d Liked Songs, Connect device %q)\n", srv.URL, *playlists, *items, *liked, "Fake Speaker")
	fmt.Fprintf(out, "  Web API:  %s\n  accounts: %s/authorize, %s/api/token\n\n", srv.APIURL(), srv.AccountsURL(), srv.AccountsURL())
	fmt.Fprintf(out, "export TAPEDECK_SPOTIFY_API_URL=%s\n", srv.APIURL())
	fmt.Fprintf(out, "export TAPEDECK_SPOTIFY_ACCOUNTS_URL=%s\n", srv.AccountsURL())
	fmt.Fprintf(out, "export TAPEDECK_SPOTIFY_CLIENT_ID=%s\n\n", srv.ClientID)
	fmt.Fprintln(out, "Press Ctrl-C to stop.")

	<-ctx.Done()
	return nil
}
