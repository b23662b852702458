package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tapedeck/tapedeck/config"
)

func (a *app) configCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Show or check the configuration",
	}
	c.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as TOML (secrets redacted)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := config.Load(a.configPath, a.env)
			if err != nil {
				return err
			}
			out, err := l.Config.Redacted().TOML()
			if err != nil {
				return err
			}
			src := "built-in defaults (no config file found at " + config.DefaultPath(a.env) + ")"
			if l.Path != "" {
				src = l.Path
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "# from %s, with TAPEDECK_* environment overrides\n%s", src, out)
			return err
		},
	}, &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a config file (default: the one tapedeck would read)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := a.configPath
			if len(args) == 1 {
				path = args[0]
			}
			l, err := config.Load(path, a.env)
			if err != nil {
				return err
			}
			what := "built-in defaults (no config file)"
			if l.Path != "" {
				what = l.Path
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: OK\n", what)
			return err
		},
	})
	return c
}
