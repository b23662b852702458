package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	spotifyapi "github.com/zmb3/spotify/v2"
)

// Client calls the Spotify Web API at a configurable base URL (the real
// one, a proxy, or the fake in sync/spotifytest). Every request carries the
// listener's token and goes through the retry policy.
type Client struct {
	base       *url.URL
	http       *http.Client
	api        *spotifyapi.Client
	requests   atomic.Int64
	retryAfter atomic.Int64
}

// NewClient returns a client of the Web API at apiURL.
func NewClient(apiURL string, src *TokenSource, policy Retry, log *slog.Logger) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(apiURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("spotify.api_url %q is not a URL", apiURL)
	}
	c := &Client{base: base}
	send := policy.Base
	if send == nil {
		send = http.DefaultTransport
	}
	c.http = &http.Client{Transport: &retryTransport{
		next:       &authTransport{next: send, src: src},
		policy:     policy,
		log:        log,
		requests:   &c.requests,
		retryAfter: &c.retryAfter,
	}}
	c.api = spotifyapi.New(c.http, spotifyapi.WithBaseURL(base.String()+"/"))
	return c, nil
}

// RetryAfter is the wait the last 429 asked for.
func (c *Client) RetryAfter() time.Duration { return time.Duration(c.retryAfter.Load()) }

// Requests is how many HTTP requests the client has sent, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// CurrentUser returns the linked account.
func (c *Client) CurrentUser(ctx context.Context) (*spotifyapi.PrivateUser, error) {
	u, err := c.api.CurrentUser(ctx)
	if err != nil {
		return nil, fmt.Errorf("Spotify /me: %w", err)
	}
	return u, nil
}

// APIError is a non-2xx answer from the Web API.
type APIError struct {
	Status  int
	Message string
	Path    string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("Spotify %s: %d %s", e.Path, e.Status, msg)
}

// get fetches ref (a path below the base URL, or an absolute URL such as a
// paging object's next) and decodes the JSON answer into v. Absolute URLs
// must point at the configured API host: the token is never sent elsewhere.
func (c *Client) get(ctx context.Context, ref string, v any) error {
	u, err := c.resolve(ref)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already in our message
		}
		return fmt.Errorf("Spotify %s: %w", u.Path, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	if resp.StatusCode/100 != 2 {
		var body struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = dec.Decode(&body) // the status alone is enough if the body is not JSON
		return &APIError{Status: resp.StatusCode, Message: body.Error.Message, Path: u.Path}
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("Spotify %s: malformed answer: %w", u.Path, err)
	}
	return nil
}

func (c *Client) resolve(ref string) (*url.URL, error) {
	if !strings.HasPrefix(ref, "http://") && !strings.HasPrefix(ref, "https://") {
		return url.Parse(c.base.String() + ref)
	}
	u, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("Spotify sent a bad next URL: %w", err)
	}
	if u.Host != c.base.Host || u.Scheme != c.base.Scheme {
		return nil, fmt.Errorf("Spotify sent a next URL on another host (%s), not following it", u.Host)
	}
	return u, nil
}
