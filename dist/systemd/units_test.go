// Package systemd holds tapedeck's systemd units; its tests check them with
// systemd-analyze and against the config package's defaults.
package systemd

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tapedeck/tapedeck/config"
	"github.com/tapedeck/tapedeck/mpris"
)

// execStart is the command line `make install` rewrites to the installed
// binary's path, so every unit must spell it exactly so.
const execStart = "ExecStart=/usr/local/bin/tapedeck daemon"

var units = []struct {
	file string
	user bool // a user unit (systemctl --user)
}{
	{file: "tapedeck.service", user: true},
	{file: "tapedeck-system.service"},
}

// systemdAnalyze finds systemd-analyze or skips: it comes with Debian's
// systemd package (apt-get install systemd).
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not installed: run `make deps` (apt-get install systemd)")
	}
	return p
}

// installed copies the unit into a temporary folder as tapedeck.service (the
// name `make install` gives it) with ExecStart pointing at an executable
// that exists, which verify checks.
func installed(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tapedeck")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, "tapedeck.service")
	data = bytes.ReplaceAll(data, []byte("/usr/local/bin/tapedeck"), []byte(bin))
	if err := os.WriteFile(unit, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return unit
}

// analyze runs systemd-analyze offline: no running systemd or D-Bus needed
// (a user manager only needs a runtime directory).
func analyze(t *testing.T, user bool, args ...string) (string, error) {
	t.Helper()
	if user {
		args = append([]string{"--user"}, args...)
	}
	cmd := exec.Command(systemdAnalyze(t), args...)
	runtime := t.TempDir()
	os.Chmod(runtime, 0o700)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtime, "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestVerify fails on any complaint, warnings included: systemd ignores an
// unknown or malformed setting with a mere warning, and a hardening line
// silently ignored is worse than none.
func TestVerify(t *testing.T) {
	for _, u := range units {
		t.Run(u.file, func(t *testing.T) {
			out, err := analyze(t, u.user, "verify", "--man=no", "--generators=no", "--recursive-errors=no", installed(t, u.file))
			if err != nil || strings.TrimSpace(out) != "" {
				t.Errorf("systemd-analyze verify %s: %v\n%s", u.file, err, out)
			}
		})
	}
}

// TestSecurity keeps the system unit's exposure, as systemd-analyze
// security scores it, at "OK" or better (1.7 of 10 when written).
func TestSecurity(t *testing.T) {
	out, err := analyze(t, false, "security", "--offline=yes", "--threshold=25", "--no-pager", installed(t, "tapedeck-system.service"))
	if err != nil {
		t.Errorf("systemd-analyze security: %v (exposure above 2.5)\n%s", err, out)
	}
	if i := strings.Index(out, "Overall exposure level"); i >= 0 {
		t.Log(strings.TrimSpace(out[i:]))
	}
}

func TestUnits(t *testing.T) {
	want := []string{execStart, "Type=notify", "NotifyAccess=main", "WatchdogSec=30", "Restart=on-failure", "NoNewPrivileges=yes"}
	system := []string{"User=tapedeck", "SupplementaryGroups=audio", "StateDirectory=tapedeck",
		"ProtectSystem=strict", "ProtectHome=read-only", "PrivateTmp=yes", "CapabilityBoundingSet=",
		"DevicePolicy=closed", "DeviceAllow=char-alsa rw", "MemoryDenyWriteExecute=yes", "SystemCallFilter=@system-service",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"}
	for _, u := range units {
		t.Run(u.file, func(t *testing.T) {
			lines := settings(t, u.file)
			need := want
			if !u.user {
				need = append(slices.Clone(want), system...)
			}
			for _, l := range need {
				if !slices.Contains(lines, l) {
					t.Errorf("missing %q", l)
				}
			}
			for _, l := range lines {
				if strings.HasPrefix(l, "Environment=TAPEDECK_") {
					t.Errorf("%s: a TAPEDECK_ variable overrides the config file; set a default (XDG_*) instead", l)
				}
			}
		})
	}
}

// TestSystemDefaults loads the configuration with the system unit's
// environment: a fresh install (no config file) must start, with its state
// in the StateDirectory and its config in the ConfigurationDirectory.
func TestSystemDefaults(t *testing.T) {
	env := map[string]string{"HOME": "/var/lib/tapedeck"} // the tapedeck user's home
	for _, l := range settings(t, "tapedeck-system.service") {
		if kv, ok := strings.CutPrefix(l, "Environment="); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if got := config.DefaultPath(lookup); got != "/etc/tapedeck/config.toml" {
		t.Errorf("config file %s, want /etc/tapedeck/config.toml (ConfigurationDirectory=tapedeck)", got)
	}
	cfg := config.Default(lookup)
	if cfg.StateDir != "/var/lib/tapedeck" {
		t.Errorf("state_dir %s, want /var/lib/tapedeck (StateDirectory=tapedeck)", cfg.StateDir)
	}
	if !slices.Equal(cfg.Library.Dirs, []string{"/srv/music"}) {
		t.Errorf("library.dirs %q, want [/srv/music]", cfg.Library.Dirs)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	// No session bus in a system service: MPRIS and the Spotify app watcher
	// use the system bus, where dist/dbus/tapedeck.conf lets tapedeck in.
	if got := mpris.Bus(cfg.Player.MPRISBus).Pick(func(k string) string { return env[k] }); got != mpris.SystemBus {
		t.Errorf("player.mpris_bus %q picks the %s bus, want system", cfg.Player.MPRISBus, got)
	}
}

// settings returns the unit's lines that are not blank, comments or
// section headers.
func settings(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "[") {
			continue
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestSysusers creates the service user in a scratch root, as `make
// install` does on the real one.
func TestSysusers(t *testing.T) {
	bin, err := exec.LookPath("systemd-sysusers")
	if err != nil {
		t.Fatal("systemd-sysusers not installed: run `make deps` (apt-get install systemd)")
	}
	conf, err := filepath.Abs("tapedeck.sysusers")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--root="+root, conf).CombinedOutput(); err != nil {
		t.Fatalf("systemd-sysusers: %v\n%s", err, out)
	}
	passwd, err := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^tapedeck:x:\d+:\d+:[^:]*:/var/lib/tapedeck:`).Match(passwd) {
		t.Errorf("no tapedeck user with home /var/lib/tapedeck in\n%s", passwd)
	}
}
