package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listenNotify is a stand-in for systemd's notification socket: it sets
// $NOTIFY_SOCKET to a fresh unixgram socket (abstract when abstract is
// true) and returns the datagrams it receives.
func listenNotify(t *testing.T, abstract bool) <-chan string {
	t.Helper()
	var name string
	if abstract {
		name = fmt.Sprintf("@tapedeck-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	} else {
		// t.TempDir can exceed the 108-byte limit of a socket path.
		dir, err := os.MkdirTemp("", "sdn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		name = filepath.Join(dir, "notify")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	got := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	return got
}

func receive(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case msg := <-got:
		return msg
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5 s")
		return ""
	}
}

func TestSDNotify(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		t.Run(fmt.Sprintf("abstract=%v", abstract), func(t *testing.T) {
			got := listenNotify(t, abstract)
			for _, state := range []string{notifyReady, "STATUS=serving\nREADY=1", notifyStopping} {
				if err := sdNotify(state); err != nil {
					t.Fatal(err)
				}
				if msg := receive(t, got); msg != state {
					t.Errorf("received %q, want %q", msg, state)
				}
			}
		})
	}
}

func TestSDNotifyWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := sdNotify(notifyReady); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v, want nil", err)
	}
}

func TestSDNotifyNoListener(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	if err := sdNotify(notifyReady); err == nil {
		t.Error("sending to a missing socket: nil error")
	}
}

func TestWatchdogPace(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		t.Run(fmt.Sprintf("abstract=%v", abstract), func(t *testing.T) {
			got := listenNotify(t, abstract)
			t.Setenv("WATCHDOG_USEC", "200000") // ping every 100 ms
			t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			start := time.Now()
			go func() { done <- watchdog(ctx, quietLogger()) }()

			var at []time.Duration
			for len(at) < 4 {
				if msg := receive(t, got); msg != notifyWatchdog {
					t.Fatalf("received %q, want %q", msg, notifyWatchdog)
				}
				at = append(at, time.Since(start))
			}
			cancel()
			waitReturn(t, done)
			// A ping every 100 ms, half the timeout; never faster than that,
			// and generous upper bounds for a busy CI machine.
			if first := at[0]; first < 80*time.Millisecond || first > 400*time.Millisecond {
				t.Errorf("first ping after %v, want about 100ms", first)
			}
			if total := at[3]; total < 350*time.Millisecond || total > 2*time.Second {
				t.Errorf("fourth ping after %v, want about 400ms", total)
			}
		})
	}
}

func TestWatchdogOff(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	tests := []struct {
		name                  string
		socket, usec, wdogPID string
	}{
		{name: "no env"},
		{name: "no WATCHDOG_USEC", socket: "yes", wdogPID: pid},
		{name: "another process's watchdog", socket: "yes", usec: "200000", wdogPID: "1"},
		{name: "no NOTIFY_SOCKET", usec: "200000", wdogPID: pid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NOTIFY_SOCKET", "")
			var got <-chan string
			if tt.socket != "" {
				got = listenNotify(t, true)
			}
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.wdogPID)
			ctx, cancel := context.WithTimeout(context.Background(), 350*time.Millisecond)
			defer cancel()
			start := time.Now()
			if err := watchdog(ctx, quietLogger()); err != nil {
				t.Fatal(err)
			}
			if waited := time.Since(start); waited < 300*time.Millisecond {
				t.Errorf("returned after %v, before its context ended", waited)
			}
			select {
			case msg := <-got: // nil channel when there is no socket: never ready
				t.Errorf("watchdog off, yet received %q", msg)
			default:
			}
		})
	}
}

func TestWatchdogBadInterval(t *testing.T) {
	listenNotify(t, true)
	for _, v := range []string{"abc", "0", "-5"} {
		t.Setenv("WATCHDOG_USEC", v)
		t.Setenv("WATCHDOG_PID", "")
		if err := watchdog(context.Background(), quietLogger()); err == nil {
			t.Errorf("WATCHDOG_USEC=%q: nil error", v)
		}
	}
}

// TestWatchdogSurvivesLostSocket keeps pinging, without returning, when the
// manager's socket is gone: systemd decides what a missed ping means.
func TestWatchdogSurvivesLostSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	t.Setenv("WATCHDOG_USEC", "20000")
	t.Setenv("WATCHDOG_PID", "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := watchdog(ctx, quietLogger()); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Error("returned before its context ended")
	}
}

func TestSystemdJob(t *testing.T) {
	got := listenNotify(t, true)
	t.Setenv("WATCHDOG_USEC", "100000")
	t.Setenv("WATCHDOG_PID", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- systemdJob(ctx, quietLogger()) }()
	if msg := receive(t, got); msg != notifyReady {
		t.Fatalf("first message %q, want %q", msg, notifyReady)
	}
	if msg := receive(t, got); msg != notifyWatchdog {
		t.Fatalf("then %q, want %q", msg, notifyWatchdog)
	}
	cancel()
	waitReturn(t, done)
	msg := receive(t, got)
	for msg == notifyWatchdog { // pings sent before cancel
		msg = receive(t, got)
	}
	if msg != notifyStopping {
		t.Errorf("after the pings %q, want %q", msg, notifyStopping)
	}
}

func waitReturn(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("watchdog did not return within 2 s of its context ending")
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
