package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"
)

// The sd_notify states tapedeck sends (see sd_notify(3)).
const (
	notifyReady    = "READY=1"
	notifyStopping = "STOPPING=1"
	notifyWatchdog = "WATCHDOG=1"
)

// sdNotify tells the service manager about the daemon's state, e.g.
// "READY=1" once the API listens. It does nothing when not started by
// systemd with Type=notify (no $NOTIFY_SOCKET), so the daemon runs the same
// in a terminal. A name starting with "@" is an abstract socket, which Go's
// net package maps to the leading NUL byte itself.
func sdNotify(state string) error {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify %s: %w", sock, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %s: %w", sock, err)
	}
	return nil
}

// watchdogInterval is how often to send WATCHDOG=1: half of $WATCHDOG_USEC,
// as sd_watchdog_enabled(3) advises, or 0 when the watchdog is off or meant
// for another process ($WATCHDOG_PID).
func watchdogInterval() (time.Duration, error) {
	v := os.Getenv("WATCHDOG_USEC")
	if v == "" || os.Getenv("NOTIFY_SOCKET") == "" {
		return 0, nil
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, nil
	}
	usec, err := strconv.ParseUint(v, 10, 63)
	if err != nil || usec == 0 {
		return 0, fmt.Errorf("WATCHDOG_USEC=%q: want a positive number of microseconds", v)
	}
	return time.Duration(usec) * time.Microsecond / 2, nil
}

// watchdog sends WATCHDOG=1 every half watchdog interval until ctx ends,
// then returns nil; with the watchdog off it just waits for ctx. A failed
// ping is logged and retried at the next tick rather than stopping the
// daemon: if pings keep failing, systemd restarts it anyway.
func watchdog(ctx context.Context, log *slog.Logger) error {
	every, err := watchdogInterval()
	if err != nil {
		return err
	}
	if every == 0 {
		<-ctx.Done()
		return nil
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		err := sdNotify(notifyWatchdog)
		if err != nil && !failing {
			log.Warn("systemd watchdog ping failed", "err", err)
		}
		failing = err != nil
	}
}

// systemdJob is the daemon's link to systemd (Type=notify): READY=1 at
// once, so start it after the API listens; WATCHDOG=1 pings while ctx
// lives; STOPPING=1 when ctx ends and shutdown begins. Without systemd it
// only waits for ctx. Notification failures are logged, never fatal.
func systemdJob(ctx context.Context, log *slog.Logger) error {
	if err := sdNotify(notifyReady); err != nil {
		log.Warn("telling systemd the daemon is ready", "err", err)
	}
	err := watchdog(ctx, log)
	if err := sdNotify(notifyStopping); err != nil {
		log.Warn("telling systemd the daemon stops", "err", err)
	}
	return err
}
