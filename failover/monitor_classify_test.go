package failover

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClassifyRealErrors classifies errors produced by real dials, lookups
// and handshakes, as the poll would see them through net/http.
func TestClassifyRealErrors(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	selfSigned := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	selfSigned.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	selfSigned.StartTLS()
	defer selfSigned.Close()
	hang := hangingListener(t)

	cases := []struct {
		name       string
		err        func() error
		wantPrefix string
	}{
		{"closed port", func() error { return httpGet("http://" + closedPort(t) + "/v1/me/player") }, "connection refused"},
		{"dial closed port", func() error { _, err := net.Dial("tcp", closedPort(t)); return err }, "connection refused"},
		{"DNS of a .invalid name", func() error { return httpGet("https://api.spotify.invalid/v1/me/player") }, "DNS: "},
		{"lookup of a .invalid name", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := net.DefaultResolver.LookupHost(ctx, "api.spotify.invalid")
			return err
		}, "DNS: "},
		{"TLS against plain HTTP", func() error { return httpGet("https://" + plain.Listener.Addr().String() + "/") }, "TLS: the server does not speak TLS"},
		{"TLS handshake against plain HTTP", func() error {
			c, err := tls.Dial("tcp", plain.Listener.Addr().String(), &tls.Config{ServerName: "api.spotify.com"})
			if err == nil {
				c.Close()
			}
			return err
		}, "TLS: the server does not speak TLS"},
		{"untrusted certificate", func() error { return httpGet(selfSigned.URL) }, "TLS: certificate not trusted"},
		{"context deadline", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hang+"/", nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}, "timeout"},
		{"client timeout", func() error {
			resp, err := (&http.Client{Timeout: 50 * time.Millisecond}).Get("http://" + hang + "/")
			if err == nil {
				resp.Body.Close()
			}
			return err
		}, "timeout"},
		{"bare deadline", func() error { return context.DeadlineExceeded }, "timeout"},
		{"wrapped reset", func() error { return fmt.Errorf("poll: %w", errReset) }, "connection reset"},
		{"unknown error with no answer", func() error { return errors.New("something odd") }, "no answer: something odd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil {
				t.Fatal("no error")
			}
			cause, outage := Classify(err, 0)
			t.Logf("%v → %q", err, cause)
			if !strings.HasPrefix(cause, c.wantPrefix) || !outage {
				t.Errorf("Classify(%v) = %q, %v; want %q…, true", err, cause, outage, c.wantPrefix)
			}
		})
	}
}

func TestClassifyStatus(t *testing.T) {
	cases := []struct {
		status int
		err    error
		cause  string
		outage bool
	}{
		{200, nil, "", false},
		{204, nil, "", false},
		{500, nil, "HTTP 500 Internal Server Error", true},
		{502, nil, "HTTP 502 Bad Gateway", true},
		{503, nil, "HTTP 503 Service Unavailable", true},
		{504, nil, "HTTP 504 Gateway Timeout", true},
		{599, nil, "HTTP 599", true},
		{429, nil, "rate limited (HTTP 429)", false},
		{401, nil, "unauthorized (HTTP 401)", false},
		{403, nil, "HTTP 403 Forbidden", false},
		{404, nil, "HTTP 404 Not Found", false},
		{503, errors.New("decoding: unexpected EOF"), "HTTP 503 Service Unavailable", true},
		{200, errors.New("json: cannot unmarshal"), "bad answer (HTTP 200 OK): json: cannot unmarshal", false},
		{0, context.Canceled, "canceled", false},
	}
	for _, c := range cases {
		cause, outage := Classify(c.err, c.status)
		if cause != c.cause || outage != c.outage {
			t.Errorf("Classify(%v, %d) = %q, %v; want %q, %v", c.err, c.status, cause, outage, c.cause, c.outage)
		}
	}
}

func httpGet(url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// closedPort is an address on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hangingListener accepts connections and never answers.
func hangingListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}
