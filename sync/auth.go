// Package sync links tapedeck to the listener's Spotify account (OAuth 2.0
// authorization code with PKCE) and keeps a copy of their playlists and
// Liked Songs in the cache, through the official Web API only.
package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	gosync "sync"

	"golang.org/x/oauth2"
)

// Scopes are the permissions tapedeck asks for: reading playlists and Liked
// Songs, and (for playing through Spotify Connect) the player.
var Scopes = []string{
	"playlist-read-private", "playlist-read-collaborative", "user-library-read",
	"user-read-playback-state", "user-modify-playback-state", "user-read-currently-playing",
}

// ErrLoginRequired means Spotify refused the refresh token (invalid_grant):
// the listener must log in again.
var ErrLoginRequired = errors.New("Spotify no longer accepts tapedeck's login (revoked or expired): run `tapedeck login` again")

// OAuthConfig builds the PKCE client configuration. There is no client
// secret: each listener registers their own app and uses its client ID.
func OAuthConfig(clientID, accountsURL, redirectURL string) *oauth2.Config {
	base := strings.TrimRight(accountsURL, "/")
	return &oauth2.Config{
		ClientID:    clientID,
		RedirectURL: redirectURL,
		Scopes:      Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/authorize",
			TokenURL:  base + "/api/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// TokenSource hands out a valid access token, refreshing it when it expires.
// Concurrent callers share one refresh. Spotify rotates the refresh token on
// every refresh (PKCE), so the new token is saved before it is handed out:
// a crash right after can never leave only a used refresh token on disk.
type TokenSource struct {
	cfg   *oauth2.Config
	store *TokenFile
	log   *slog.Logger
	ctx   context.Context // carries the HTTP client used for refreshes

	mu  gosync.Mutex
	tok *oauth2.Token
}

// NewTokenSource loads the stored token. ctx may carry an *http.Client under
// oauth2.HTTPClient for the refresh requests.
func NewTokenSource(ctx context.Context, cfg *oauth2.Config, store *TokenFile, log *slog.Logger) (*TokenSource, error) {
	tok, err := store.Load()
	if err != nil {
		return nil, err
	}
	return &TokenSource{cfg: cfg, store: store, log: log, ctx: ctx, tok: tok}, nil
}

// expiryMargin refreshes a little early so a token never expires in flight.
const expiryMargin = 30 * time.Second

// Token returns a valid token.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken != "" && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > expiryMargin) {
		return s.tok, nil
	}
	return s.refreshLocked()
}

// Valid reports whether a login is stored and usable without a refresh.
func (s *TokenSource) Valid() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok.AccessToken != "" && time.Until(s.tok.Expiry) > expiryMargin
}

// Invalidate marks the current access token as expired, after the API
// answered 401 to it; the next Token call refreshes.
func (s *TokenSource) Invalidate(used *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if used != nil && s.tok.AccessToken == used.AccessToken {
		s.tok.AccessToken = ""
	}
}

func (s *TokenSource) refreshLocked() (*oauth2.Token, error) {
	// Another tapedeck process (the daemon and a CLI command) may hold the
	// same refresh token, which works once: refresh under a file lock, and
	// adopt what the other process saved if it got there first.
	unlock, err := s.store.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if disk, err := s.store.Load(); err == nil && disk.RefreshToken != s.tok.RefreshToken {
		s.tok = disk
		if disk.AccessToken != "" && time.Until(disk.Expiry) > expiryMargin {
			return disk, nil
		}
	}
	old := &oauth2.Token{RefreshToken: s.tok.RefreshToken}
	fresh, err := s.cfg.TokenSource(s.ctx, old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			s.log.Warn("Spotify refused the refresh token; log in again with `tapedeck login`")
			return nil, ErrLoginRequired
		}
		// Do not wrap err: a RetrieveError may quote the response body.
		return nil, fmt.Errorf("refresh Spotify token: %s", describeRetrieve(err))
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = s.tok.RefreshToken // not rotated this time
	}
	if err := s.store.Save(fresh); err != nil {
		// Spotify has already rotated the refresh token: without saving it
		// the next start needs a new login. Use it now all the same.
		s.log.Error("could not save the refreshed Spotify token", "err", err)
	}
	s.tok = fresh
	s.log.Debug("Spotify token refreshed", "expires", fresh.Expiry.Format(time.RFC3339))
	return fresh, nil
}

// describeRetrieve summarises a token-endpoint failure without its body.
func describeRetrieve(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := "HTTP " + re.Response.Status
		if re.ErrorCode != "" {
			msg += " (" + re.ErrorCode + ")"
		}
		return msg
	}
	return err.Error()
}
