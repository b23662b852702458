package sync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Retry is the network policy for Web API calls.
type Retry struct {
	// Attempts is the most tries of one request (first try included).
	Attempts int
	// BaseDelay is the first backoff; it doubles up to MaxDelay, with jitter.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter caps how long a 429's Retry-After is honoured; a longer
	// wait fails the request with ErrRateLimited instead of stalling.
	MaxRetryAfter time.Duration
	// Timeout bounds each attempt, body included.
	Timeout time.Duration
	// Sleep waits d or until ctx ends; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Base sends each attempt; nil means http.DefaultTransport. Metrics
	// wrap it to count every attempt Spotify sees.
	Base http.RoundTripper
}

// DefaultRetry suits Spotify: a rolling 30-second rate-limit window.
func DefaultRetry() Retry {
	return Retry{Attempts: 5, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second,
		MaxRetryAfter: 2 * time.Minute, Timeout: 20 * time.Second, Sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrRateLimited is returned when Spotify asks to wait longer than the
// retry policy allows.
var ErrRateLimited = errors.New("Spotify is rate-limiting tapedeck")

// maxBody bounds a response read into memory.
const maxBody = 64 << 20

// retryTransport retries 429 (after Retry-After), 5xx and network errors
// with capped exponential backoff and jitter. Each attempt has its own
// timeout and its body is read whole before the attempt ends, so a server
// that hangs mid-body is retried too. Only requests that can be replayed
// (no body, or GetBody set) are retried.
type retryTransport struct {
	next       http.RoundTripper
	policy     Retry
	log        *slog.Logger
	requests   *atomic.Int64
	retryAfter *atomic.Int64 // the last 429's Retry-After, in ns
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var lastErr error
	for attempt := 1; ; attempt++ {
		t.requests.Add(1)
		resp, err := t.try(req)
		wait, retry := t.verdict(resp, err, attempt)
		if !retry || (req.Body != nil && req.GetBody == nil) {
			if err == nil && wait > t.policy.MaxRetryAfter {
				return nil, fmt.Errorf("%w: %s asked to wait %s", ErrRateLimited, req.URL.Path, wait)
			}
			if err != nil && lastErr != nil {
				return nil, fmt.Errorf("%s %s: gave up after %d tries: %w", req.Method, req.URL.Path, attempt, err)
			}
			return resp, err
		}
		lastErr = err
		if resp != nil {
			t.log.Debug("Spotify API retry", "path", req.URL.Path, "status", resp.StatusCode, "attempt", attempt, "wait", wait)
		} else {
			t.log.Debug("Spotify API retry", "path", req.URL.Path, "err", err, "attempt", attempt, "wait", wait)
		}
		if err := t.policy.Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
	}
}

// try makes one attempt with its own timeout, reading the body whole.
func (t *retryTransport) try(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.policy.Timeout)
	defer cancel()
	resp, err := t.next.RoundTrip(req.Clone(ctx))
	if err != nil {
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no answer within %s", t.policy.Timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// verdict says whether to retry and after how long.
func (t *retryTransport) verdict(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, ErrLoginRequired) || errors.Is(err, ErrNotLoggedIn) {
			return 0, false // the caller gave up, or no retry can help
		}
		return t.backoff(attempt), attempt < t.policy.Attempts
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := retryAfter(resp.Header.Get("Retry-After"))
		if t.retryAfter != nil {
			t.retryAfter.Store(int64(wait))
		}
		if wait > t.policy.MaxRetryAfter {
			return wait, false
		}
		return wait, attempt < t.policy.Attempts
	case resp.StatusCode >= 500:
		return t.backoff(attempt), attempt < t.policy.Attempts
	}
	return 0, false
}

func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.policy.BaseDelay << (attempt - 1)
	if d > t.policy.MaxDelay || d <= 0 {
		d = t.policy.MaxDelay
	}
	// Full jitter in [d/2, d): clients that failed together spread out.
	return d/2 + rand.N(d/2+1)
}

// retryAfter parses the seconds form Spotify sends; 5 s when absent.
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return 5 * time.Second
}

// authTransport adds the bearer token and, when the API answers 401 to a
// token that looked valid, refreshes once and tries again.
type authTransport struct {
	next http.RoundTripper
	src  *TokenSource
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, tok, err := t.send(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	resp.Body.Close()
	t.src.Invalidate(tok)
	if req.GetBody != nil {
		if req.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	resp, _, err = t.send(req)
	return resp, err
}

func (t *authTransport) send(req *http.Request) (*http.Response, *oauth2.Token, error) {
	tok, err := t.src.Token()
	if err != nil {
		return nil, nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := t.next.RoundTrip(r)
	return resp, tok, err
}
