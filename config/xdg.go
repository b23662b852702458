package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

func home(env Env) string {
	if h, ok := env("HOME"); ok && h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "/"
}

// xdgDir returns $name if set to an absolute path (as the XDG base directory
// spec requires), else $HOME/fallback.
func xdgDir(env Env, name, fallback string) string {
	if v, ok := env(name); ok && filepath.IsAbs(v) {
		return v
	}
	return filepath.Join(home(env), fallback)
}

// musicDir is the XDG music directory: XDG_MUSIC_DIR from the environment or
// from user-dirs.dirs (as xdg-user-dirs writes it), else ~/Music.
func musicDir(env Env) string {
	h := home(env)
	if v, ok := env("XDG_MUSIC_DIR"); ok && v != "" {
		return expandHome(v, h)
	}
	f, err := os.Open(filepath.Join(xdgDir(env, "XDG_CONFIG_HOME", ".config"), "user-dirs.dirs"))
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if v, ok := strings.CutPrefix(line, "XDG_MUSIC_DIR="); ok {
				v = strings.Trim(v, `"`)
				if d := expandHome(v, h); d != h { // "$HOME/" alone means disabled
					return d
				}
			}
		}
	}
	return filepath.Join(h, "Music")
}

func expandHome(v, h string) string {
	v = strings.Replace(v, "$HOME", h, 1)
	if v == "~" || strings.HasPrefix(v, "~/") {
		v = h + v[1:]
	}
	return filepath.Clean(v)
}
