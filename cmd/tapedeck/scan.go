package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/config"
	"github.com/tapedeck/tapedeck/library"
	"github.com/tapedeck/tapedeck/match"
)

func (a *app) scanCmd() *cobra.Command {
	var asJSON, force bool
	c := &cobra.Command{
		Use:   "scan",
		Short: "Index the audio files in library.dirs",
		Long: `Walk the music folders (library.dirs), read the tags and audio properties
of new and changed files, and drop files that are gone. Files whose size and
modification time are unchanged are not read again.

Files that cannot be read are indexed with their error and listed; they never
stop the scan. A missing or unreadable folder is reported and what the index
holds from it is kept (an unmounted disk does not empty your library).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			return a.runScan(cmd.Context(), cfg, asJSON, force)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	c.Flags().BoolVar(&force, "force", false, "read every file again, changed or not")
	return c
}

func (a *app) runScan(ctx context.Context, cfg config.Config, asJSON, force bool) error {
	store, err := cache.Open(ctx, cfg.DBPath())
	if err != nil {
		return err
	}
	defer store.Close()

	sc := library.New(store, cfg.Library.Dirs)
	sc.Workers = cfg.Library.ScanWorkers
	sc.Force = force
	sc.Logger = a.logger.With("component", "scanner")
	prog := newProgress(a.stderr, isTerminal(a.stderr))
	sc.OnProgress = prog.update
	if !asJSON {
		fmt.Fprintf(a.stderr, "Scanning %s\n", strings.Join(cfg.Library.Dirs, ", "))
	}
	start := time.Now()
	res, scanErr := sc.Scan(ctx)
	prog.finish()
	if scanErr != nil && ctx.Err() == nil {
		return scanErr
	}
	var matched match.RematchResult
	if scanErr == nil {
		if matched, err = a.rematch(ctx, store, false); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		if err := enc.Encode(res); err != nil {
			return err
		}
		return scanErr
	}
	stats, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	printScanSummary(a.stdout, cfg, res, stats, time.Since(start))
	if matched.Checked > 0 {
		fmt.Fprintf(a.stdout, "Rematched %d playlist tracks: %d changed. See `tapedeck playlists` and `tapedeck missing`.\n", matched.Checked, matched.Changed)
	}
	if scanErr != nil {
		return fmt.Errorf("scan interrupted; what was read is saved: %w", scanErr)
	}
	return nil
}

func printScanSummary(w io.Writer, cfg config.Config, res library.Result, st cache.Stats, took time.Duration) {
	fmt.Fprintf(w, "Scanned in %s: added %d, updated %d, removed %d, unchanged %d, failed %d.\n",
		took.Round(time.Millisecond), res.Added, res.Updated, res.Removed, res.Unchanged, res.Failed)
	fmt.Fprintf(w, "The index holds %d tracks (%s of music", st.Tracks, formatHours(st.DurationMs))
	for _, f := range []string{"flac", "mp3", "m4a", "ogg", "opus", "wav"} {
		if n := st.ByFormat[f]; n > 0 {
			fmt.Fprintf(w, ", %d %s", n, f)
		}
	}
	fmt.Fprintln(w, ").")
	if len(res.Errors) > 0 {
		fmt.Fprintf(w, "\nCould not read %d:\n", len(res.Errors))
		const shown = 20
		for i, e := range res.Errors {
			if i == shown {
				fmt.Fprintf(w, "  ... and %d more: see `tapedeck tracks --failed` or `tapedeck scan --json`\n", len(res.Errors)-shown)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", e.Path, e.Error)
		}
	}
	if st.Tracks == 0 {
		fmt.Fprintf(w, "\nNo audio files found in %s.\n", strings.Join(cfg.Library.Dirs, ", "))
		for _, d := range cfg.Library.Dirs {
			if _, err := os.Stat(d); err != nil {
				fmt.Fprintf(w, "%s does not exist. ", d)
			}
		}
		fmt.Fprintln(w, "Put your MP3, FLAC, Ogg Vorbis, Opus, WAV or M4A files there, or point tapedeck at your music:\n"+
			"  TAPEDECK_LIBRARY_DIRS=/path/to/music tapedeck scan\n"+
			"or set library.dirs in the config file (see `tapedeck config show`).")
	}
}

func formatHours(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dm%02ds", m, int(d.Seconds())%60)
}
