package sync

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Login runs the authorization code flow with PKCE against a loopback
// redirect: it listens on spotify.redirect_url, sends the listener to
// Spotify's consent page, checks the returned state, exchanges the code
// with the PKCE verifier and saves the token.
type Login struct {
	Config *oauth2.Config
	Store  *TokenFile
	// ShowURL is given the authorize URL (to print, or to open in a browser).
	ShowURL func(authURL string)
	// HTTPClient makes the token request; http.DefaultClient if nil.
	HTTPClient *http.Client
	// Timeout bounds the wait for the listener to approve (default 5 min).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Run performs the login and saves the token.
func (l *Login) Run(ctx context.Context) error {
	if l.Config.ClientID == "" {
		return errors.New("spotify.client_id is not set: create an app at https://developer.spotify.com/dashboard (see README, \"Link Spotify\") and set its client ID")
	}
	redirect, err := url.Parse(l.Config.RedirectURL)
	if err != nil {
		return fmt.Errorf("spotify.redirect_url: %w", err)
	}
	ln, err := net.Listen("tcp", redirect.Host)
	if err != nil {
		return fmt.Errorf("listen on %s for Spotify's redirect (spotify.redirect_url): %w", redirect.Host, err)
	}
	verifier := oauth2.GenerateVerifier()
	state := randomState()
	timeout := l.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	result := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc(redirect.Path, func(w http.ResponseWriter, r *http.Request) {
		l.callback(ctx, w, r, state, verifier, result)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		// Shutdown, not Close: the browser must still get the page that
		// the handler is writing while it hands us the result.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	l.ShowURL(l.Config.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer from Spotify within %s: run `tapedeck login` again", timeout)
		}
		return ctx.Err()
	}
}

// callback handles Spotify's redirect. A request with the wrong state is
// refused and the login keeps waiting: it did not come from this login.
func (l *Login) callback(ctx context.Context, w http.ResponseWriter, r *http.Request, state, verifier string, result chan<- error) {
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		htmlPage(w, http.StatusBadRequest, "This link is not from the login tapedeck started. Run `tapedeck login` again.")
		return
	}
	if e := q.Get("error"); e != "" {
		htmlPage(w, http.StatusOK, "Spotify did not link tapedeck ("+e+"). You can close this tab.")
		deliver(result, fmt.Errorf("Spotify did not approve the login: %s", e))
		return
	}
	code := q.Get("code")
	if code == "" {
		htmlPage(w, http.StatusBadRequest, "Spotify's answer has no code. Run `tapedeck login` again.")
		return
	}
	if l.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, l.HTTPClient)
	}
	tok, err := l.Config.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		err = fmt.Errorf("exchange Spotify's code for a token: %s", describeRetrieve(err))
		htmlPage(w, http.StatusBadGateway, "tapedeck could not finish the login: "+err.Error())
		deliver(result, err)
		return
	}
	if err := l.Store.Save(tok); err != nil {
		htmlPage(w, http.StatusInternalServerError, "tapedeck could not save the login: "+err.Error())
		deliver(result, err)
		return
	}
	htmlPage(w, http.StatusOK, "tapedeck is linked to your Spotify account. You can close this tab.")
	deliver(result, nil)
}

func deliver(ch chan<- error, err error) {
	select {
	case ch <- err:
	default: // a result was already delivered
	}
}

func htmlPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>tapedeck</title><p>%s</p>\n", html.EscapeString(msg))
}

func randomState() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
