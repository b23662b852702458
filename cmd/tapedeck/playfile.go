package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tapedeck/tapedeck/player"
)

func (a *app) playfileCmd() *cobra.Command {
	var (
		output, replaygain string
		rate, volume       int
		preamp             float64
	)
	c := &cobra.Command{
		Use:   "playfile [--output SPEC] FILE...",
		Short: "Play audio files in the foreground, without the daemon",
		Long: `Play the given files one after the other, gaplessly, like mpg123, then exit.
Ctrl-C stops. MP3, FLAC, Ogg Vorbis and WAV are decoded natively; M4A
(AAC, ALAC) and Opus need ffmpeg.

--output is speaker (ALSA), null (discard in real time) or pipe:PATH (raw
s16le stereo PCM for Snapcast, into a FIFO made if missing, or a file);
the default is player.output from the configuration.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			if output == "" {
				output = cfg.Player.Output
			}
			if !fl.Changed("replaygain") {
				replaygain = cfg.Player.ReplayGain
			}
			if !fl.Changed("preamp") {
				preamp = cfg.Player.PreampDB
			}
			if !fl.Changed("rate") {
				rate = cfg.Player.SampleRate
			}
			out, err := player.ParseOutput(output)
			if err != nil {
				return fmt.Errorf("%w: --output: %v", errUsage, err)
			}
			rg, err := player.ParseReplayGain(replaygain)
			if err != nil {
				return fmt.Errorf("%w: --replaygain: %v", errUsage, err)
			}
			if rate != 44100 && rate != 48000 {
				return fmt.Errorf("%w: --rate %d: want 44100 or 48000", errUsage, rate)
			}
			e := player.New(out, player.Options{SampleRate: rate, ReplayGain: rg, PreampDB: preamp,
				Volume: &volume, Logger: a.logger.With("component", "player")})
			var tracks []player.Track
			for _, f := range files {
				tracks = append(tracks, player.Track{Path: f})
			}
			e.SetQueue(tracks)
			return a.playFiles(cmd.Context(), e)
		},
	}
	f := c.Flags()
	f.StringVarP(&output, "output", "o", "", "speaker, null or pipe:PATH (default player.output)")
	f.StringVar(&replaygain, "replaygain", "off", "ReplayGain: off, track or album (default player.replaygain)")
	f.Float64Var(&preamp, "preamp", 0, "dB added to the ReplayGain (default player.preamp_db)")
	f.IntVar(&rate, "rate", 44100, "output sample rate: 44100 or 48000 (default player.sample_rate)")
	f.IntVar(&volume, "volume", 100, "software volume, 0-100")
	return c
}

// playFiles plays the queue to its end, printing each track and skipped
// file; an output failure or a queue where nothing played is an error.
func (a *app) playFiles(ctx context.Context, e *player.Engine) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	if err := e.Play(0); err != nil {
		return err
	}
	var played, failed int
	for {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			return nil // interrupted
		case ev := <-e.Events():
			switch ev.Type {
			case player.EventTrackStart:
				played++
				fmt.Fprintf(a.stdout, "Playing %s\n", filepath.Base(ev.Track.Path))
			case player.EventError:
				failed++
				fmt.Fprintf(a.stderr, "skipped: %v\n", ev.Err)
			case player.EventState:
				if ev.State != player.StateStopped {
					continue
				}
				cancel()
				if err := <-done; err != nil {
					return err
				}
				if played == 0 && failed > 0 {
					return errors.New("no file could be played")
				}
				return nil
			}
		}
	}
}
