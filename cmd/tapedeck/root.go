package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tapedeck/tapedeck/config"
)

// app is what every subcommand shares: where to write, the environment, and
// the configuration once loaded.
type app struct {
	stdout, stderr io.Writer
	env            config.Env
	configPath     string
	verbose        bool
	logJSON        bool
	logger         *slog.Logger
}

// errUsage marks errors in how the command was called (exit status 2).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func newRootCmd(stdout, stderr io.Writer, env config.Env) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr, env: env}
	root := &cobra.Command{
		Use:   "tapedeck",
		Short: "Keep your Spotify playlists playing from your own files when Spotify is down",
		Long: `tapedeck indexes the audio files you own, syncs your Spotify playlists,
matches each playlist track to your own copy, and plays from your files
when Spotify is unreachable.

Configuration comes from built-in defaults, then the TOML file
(--config, $TAPEDECK_CONFIG, or $XDG_CONFIG_HOME/tapedeck/config.toml),
then TAPEDECK_<SECTION>_<KEY> environment variables.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			a.logger = newLogger(a.stderr, a.verbose, a.logJSON)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %v (see --help)", errUsage, err)
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/tapedeck/config.toml)")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log debug details")
	pf.BoolVar(&a.logJSON, "log-json", false, "write logs as JSON lines")
	root.AddCommand(a.scanCmd(), a.tracksCmd(), a.configCmd(), versionCmd(),
		a.loginCmd(), a.logoutCmd(), a.syncCmd(), a.playlistsCmd(), a.playlistCmd(),
		a.matchCmd(), a.missingCmd(), a.exportCmd(), a.playfileCmd(), a.daemonCmd(), a.demoCmd(), a.doctorCmd())
	root.AddCommand(a.clientCmds()...)
	usageArgs(root)
	return root
}

// usageArgs makes a wrong number of arguments a usage error (exit status
// 2), as a wrong flag is, in c and every command under it.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return fmt.Errorf("%w: %v (see --help)", errUsage, err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// load reads the effective configuration.
func (a *app) load() (config.Config, error) {
	l, err := config.Load(a.configPath, a.env)
	if err != nil {
		return config.Config{}, err
	}
	return l.Config, nil
}

func newLogger(w io.Writer, verbose, asJSON bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
