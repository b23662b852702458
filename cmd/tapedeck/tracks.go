package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tapedeck/tapedeck/cache"
)

func (a *app) tracksCmd() *cobra.Command {
	var (
		asJSON bool
		q      cache.TrackQuery
	)
	c := &cobra.Command{
		Use:   "tracks",
		Short: "List indexed tracks",
		Long: `List the tracks in the local index, by path, or by relevance with --search.
--search matches every word (as a prefix, accents ignored) against title,
artists, album and album artist.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			store, err := cache.Open(cmd.Context(), cfg.DBPath())
			if err != nil {
				return err
			}
			defer store.Close()
			tracks, err := store.Tracks(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				if tracks == nil {
					tracks = []cache.LocalTrack{}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(tracks)
			}
			return printTracks(a, tracks)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	c.Flags().StringVarP(&q.Search, "search", "s", "", "only tracks matching these words")
	c.Flags().BoolVar(&q.FailedOnly, "failed", false, "only files that could not be read, with the reason")
	c.Flags().IntVarP(&q.Limit, "limit", "n", 0, "at most this many tracks (0: all)")
	return c
}

func printTracks(a *app, tracks []cache.LocalTrack) error {
	if len(tracks) == 0 {
		fmt.Fprintln(a.stderr, "No tracks. Run `tapedeck scan` to index library.dirs.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARTIST\tTITLE\tALBUM\tTIME\tFORMAT\tPATH")
	for _, t := range tracks {
		format := t.Format
		if t.ParseError != "" {
			format = "error: " + t.ParseError
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", clip(strings.Join(t.Artists, ", ")), clip(t.Title), clip(t.Album),
			clock(t.DurationMs), format, t.Path)
	}
	return tw.Flush()
}

func clip(s string) string {
	const max = 32
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

func clock(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}
