package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

// syncBuffer is written by run's goroutine and read by the test.
type syncBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunPrintsConfigAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"-playlists", "2", "-items", "30", "-client-id", "mine"}, &out) }()

	re := regexp.MustCompile(`(?m)^export TAPEDECK_SPOTIFY_API_URL=(http://127\.0\.0\.1:\d+/v1)$`)
	var api string
	for deadline := time.Now().Add(5 * time.Second); api == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			api = m[1]
		}
	}
	if api == "" {
		t.Fatalf("no API URL in output:\n%s", out.String())
	}
	for _, want := range []string{"TAPEDECK_SPOTIFY_ACCOUNTS_URL=http://127.0.0.1:", "TAPEDECK_SPOTIFY_CLIENT_ID=mine"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	resp, err := http.Get(api + "/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /me without token: %d", resp.StatusCode)
	}

	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-keys", "nope"}, &out); err == nil {
		t.Error("bad -keys accepted")
	}
	if err := run(context.Background(), []string{"-addr", "256.0.0.1:0"}, &out); err == nil {
		t.Error("bad -addr accepted")
	}
}
