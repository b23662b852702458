package player

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The pipe: output feeding a real snapserver (Debian's package) through its
// pipe source, in the configuration the README recommends (mode=create,
// 48000:16:2 on both sides). Both start orders must work, since neither
// service waits for the other:
//   - snapserver first: it makes the FIFO (world-writable) and waits;
//   - tapedeck first: it makes the FIFO and plays to nobody until snapserver
//     opens it, then snapserver hears the rest.
//
// In each, snapserver's JSON-RPC must report the stream "playing" while
// tapedeck plays and "idle" once the queue has ended.
//
// When the test runs as root and Debian's _snapserver user exists,
// snapserver runs as that user, as its systemd unit does, so a FIFO made by
// the other user is exercised both ways.
func TestSnapserverPipeSource(t *testing.T) {
	if _, err := exec.LookPath("snapserver"); err != nil {
		t.Fatalf("snapserver is not installed (%v): this test needs Debian's snapserver package; "+
			"run `apt-get install -y snapserver` as root (it is in the Makefile's DEB_PKGS)", err)
	}
	for _, tc := range []struct {
		name          string
		tapedeckFirst bool
		hold          bool // something else holds the FIFO open read-write
	}{
		{name: "snapserver first", tapedeckFirst: false},
		{name: "tapedeck first", tapedeckFirst: true},
		{name: "snapserver first, FIFO held open", hold: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := snapDir(t)
			fifo := filepath.Join(dir, "snapfifo")
			track := makeAudio(t, dir, "flac", "sine=frequency=440", 48000, 3000)
			if tc.hold {
				// What a writer that keeps the FIFO open does for snapserver
				// (e.g. `sleep infinity <>/tmp/snapfifo`): snapserver reads
				// "no data yet" (EAGAIN) instead of end of file, and a
				// non-blocking open for writing always finds a reader.
				if err := unix.Mkfifo(fifo, 0o644); err != nil {
					t.Fatal(err)
				}
				fd, err := unix.Open(fifo, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { unix.Close(fd) })
			}

			var ss *snapserver
			if !tc.tapedeckFirst {
				ss = startSnapserver(t, dir, fifo)
				// mode=create: snapserver makes the FIFO, and a tapedeck
				// running as another user must be able to write it.
				st, err := os.Stat(fifo)
				if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
					t.Fatalf("snapserver (mode=create) made no FIFO at %s: %v", fifo, err)
				}
				if !tc.hold && st.Mode().Perm()&0o002 == 0 {
					t.Fatalf("snapserver made %s %v: other users (tapedeck) cannot write it", fifo, st.Mode())
				}
				if st := ss.streamStatus(t); st != "idle" {
					t.Fatalf("before tapedeck: stream status %q, want idle", st)
				}
			}

			e := New(&Pipe{Path: fifo}, Options{SampleRate: 48000})
			e.SetQueue([]Track{{Path: track}})
			if err := e.Play(0); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			runErr := make(chan error, 1)
			go func() { runErr <- e.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-runErr; err != nil {
					t.Errorf("Run: %v", err)
				}
			}()

			if tc.tapedeckFirst {
				// Let tapedeck make the FIFO and play a little to nobody.
				waitFor(t, 2*time.Second, "tapedeck to make the FIFO", func() bool {
					st, err := os.Stat(fifo)
					return err == nil && st.Mode()&os.ModeNamedPipe != 0
				})
				time.Sleep(300 * time.Millisecond)
				if s := e.Status(); s.State != StatePlaying {
					t.Fatalf("tapedeck with no reader: %v, want playing", s.State)
				}
				ss = startSnapserver(t, dir, fifo)
			}

			// Playing while audio flows.
			start := time.Now()
			if !poll(2500*time.Millisecond, func() bool { return ss.streamStatus(t) == "playing" }) {
				t.Fatalf("snapserver never heard tapedeck (stream not \"playing\" after 2.5 s; tapedeck %v at %d ms). "+
					"With no writer attached, snapserver's pipe source opens the FIFO, reads end of file, closes it "+
					"and opens it again 100 ms later; Pipe opens it for writing with O_NONBLOCK, which fails (ENXIO) "+
					"unless a reader holds it open at that instant, so the two almost never meet. "+
					"Pipe must hold the FIFO open itself (O_RDWR) so snapserver never sees end of file",
					e.Status().State, e.Status().PositionMs)
			}
			t.Logf("snapserver playing %v after it could hear tapedeck (track at %d ms)",
				time.Since(start).Round(10*time.Millisecond), e.Status().PositionMs)
			// ...and stays so while tapedeck plays.
			for i := 0; i < 3 && e.Status().PositionMs < 2300; i++ {
				time.Sleep(200 * time.Millisecond)
				if st, s := ss.streamStatus(t), e.Status(); st != "playing" && s.State == StatePlaying && s.PositionMs < 2500 {
					t.Fatalf("at %d ms of the track: snapserver stream %q, want playing", s.PositionMs, st)
				}
			}

			// The queue ends (tapedeck paced by snapserver: about real time),
			// then snapserver goes idle.
			waitFor(t, 6*time.Second, "tapedeck to finish the queue", func() bool {
				return e.Status().State == StateStopped
			})
			ended := time.Now()
			waitFor(t, 6*time.Second, `snapserver stream "idle" after the queue ended`, func() bool {
				return ss.streamStatus(t) == "idle"
			})
			t.Logf("snapserver idle %v after the queue ended", time.Since(ended).Round(10*time.Millisecond))
		})
	}
}

// snapDir is a scratch directory that a snapserver running as another user
// can use, like /tmp (sticky, world-writable).
func snapDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tapedeck-snapcast-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	return dir
}

type snapserver struct {
	ctrl string // JSON-RPC over TCP: host:port
	log  string
}

// startSnapserver runs snapserver with its own config: loopback only, free
// ports, HTTP off, state in dir, and one pipe source "tapedeck" reading fifo
// in mode=create. It returns once the control port answers, and is killed at
// the end of the test.
func startSnapserver(t *testing.T, dir, fifo string) *snapserver {
	t.Helper()
	data := filepath.Join(dir, "snapserver-data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	ctrlPort, streamPort := freePort(t), freePort(t)
	conf := filepath.Join(dir, "snapserver.conf")
	logFile := filepath.Join(dir, "snapserver.log")
	text := fmt.Sprintf(`[server]
datadir = %s
threads = 2

[http]
enabled = false

[tcp]
enabled = true
bind_to_address = 127.0.0.1
port = %d

[stream]
bind_to_address = 127.0.0.1
port = %d
source = pipe://%s?name=tapedeck&sampleformat=48000:16:2&mode=create

[logging]
sink = file:%s
`, data, ctrlPort, streamPort, fifo, logFile)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("snapserver", "--config", conf)
	cmd.Env = append(os.Environ(), "HOME="+data)
	if cred := snapserverUser(t); cred != nil {
		if err := os.Chown(data, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting snapserver: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ss := &snapserver{ctrl: net.JoinHostPort("127.0.0.1", strconv.Itoa(ctrlPort)), log: logFile}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("snapserver output:\n%s%s", stderr.String(), b)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-done:
			b, _ := os.ReadFile(logFile)
			t.Fatalf("snapserver exited at start: %v\n%s%s", err, stderr.String(), b)
		default:
		}
		if _, err := ss.status(); err == nil {
			return ss
		} else if time.Now().After(deadline) {
			t.Fatalf("snapserver control port %s: %v", ss.ctrl, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// snapserverUser is Debian's service user when the test runs as root, so
// snapserver reads the FIFO as another user, as it does when installed.
func snapserverUser(t *testing.T) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("_snapserver")
	if err != nil {
		t.Logf("no _snapserver user (%v): snapserver runs as root", err)
		return nil
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// status asks Server.GetStatus over the TCP control port and returns each
// stream's status by id.
func (s *snapserver) status() (map[string]string, error) {
	c, err := net.DialTimeout("tcp", s.ctrl, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprint(c, `{"id":1,"jsonrpc":"2.0","method":"Server.GetStatus"}`+"\n"); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		var resp struct {
			ID     *int `json:"id"`
			Result struct {
				Server struct {
					Streams []struct {
						ID     string `json:"id"`
						Status string `json:"status"`
					} `json:"streams"`
				} `json:"server"`
			} `json:"result"`
			Error *json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(line, &resp); err != nil {
			return nil, fmt.Errorf("%v: %q", err, line)
		}
		if resp.ID == nil || *resp.ID != 1 {
			continue // a notification
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("Server.GetStatus: %s", *resp.Error)
		}
		m := map[string]string{}
		for _, st := range resp.Result.Server.Streams {
			m[st.ID] = st.Status
		}
		return m, nil
	}
}

// streamStatus is the status of the stream "tapedeck".
func (s *snapserver) streamStatus(t *testing.T) string {
	t.Helper()
	m, err := s.status()
	if err != nil {
		t.Fatalf("snapserver JSON-RPC: %v", err)
	}
	st, ok := m["tapedeck"]
	if !ok {
		t.Fatalf("snapserver has no stream tapedeck: %v", m)
	}
	return st
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	if !poll(d, ok) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// poll reports whether ok became true within d.
func poll(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
