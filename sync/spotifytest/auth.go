package spotifytest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AllScopes are the scopes IssueTokens grants when given none.
var AllScopes = []string{
	"playlist-read-private", "playlist-read-collaborative", "user-library-read",
	"user-read-private", "user-read-email",
	"user-read-playback-state", "user-modify-playback-state", "user-read-currently-playing",
}

type authCode struct {
	clientID, redirectURI, challenge, scope string
	expires                                 time.Time
}

type accessToken struct {
	scope   string
	expires time.Time
}

type authState struct {
	codes     map[string]authCode
	access    map[string]accessToken
	refresh   map[string]string // refresh token → scope
	refreshes int
}

func (a *authState) init() {
	a.codes = map[string]authCode{}
	a.access = map[string]accessToken{}
	a.refresh = map[string]string{}
}

// IssueTokens creates an access token and a refresh token as a completed
// login would, so tests can skip the browser step. With no scopes it grants
// AllScopes.
func (s *Server) IssueTokens(scopes ...string) (access, refresh string) {
	if len(scopes) == 0 {
		scopes = AllScopes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	access, refresh, _ = s.issue(strings.Join(scopes, " "))
	return access, refresh
}

// ExpireAccessTokens makes every access token issued so far expired: the
// next API call with one gets 401 "The access token expired".
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.auth.access {
		t.expires = time.Time{}
		s.auth.access[k] = t
	}
}

// RevokeRefreshTokens invalidates every refresh token issued so far (as
// when the user removes the app's access): the token endpoint answers 400
// invalid_grant "Invalid refresh token".
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.auth.refresh)
}

// Refreshes is how many refresh_token grants succeeded.
func (s *Server) Refreshes() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.auth.refreshes
}

// issue mints a token pair. Callers hold s.mu.
func (s *Server) issue(scope string) (access, refresh string, ttl time.Duration) {
	ttl = s.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	access, refresh = "BQ"+randomToken(), "AQ"+randomToken()
	s.auth.access[access] = accessToken{scope: scope, expires: s.now().Add(ttl)}
	s.auth.refresh[refresh] = scope
	return access, refresh, ttl
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// handleAuthorize approves every valid request at once, as if the user had
// pressed Agree.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.ClientID {
		authPageError(w, "INVALID_CLIENT: Invalid client")
		return
	}
	redirect := q.Get("redirect_uri")
	if msg := s.checkRedirect(redirect); msg != "" {
		authPageError(w, msg)
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		v := url.Values{"error": {code}}
		if desc != "" {
			v.Set("error_description", desc)
		}
		if state != "" {
			v.Set("state", state)
		}
		http.Redirect(w, r, withQuery(redirect, v), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		fail("invalid_request", "code_challenge_method must be S256, with code_challenge")
	case s.DenyAuthorization:
		fail("access_denied", "")
	default:
		code := "AQ" + randomToken()
		s.mu.Lock()
		s.auth.codes[code] = authCode{
			clientID: s.ClientID, redirectURI: redirect, challenge: q.Get("code_challenge"),
			scope: strings.Join(strings.Fields(q.Get("scope")), " "), expires: s.now().Add(10 * time.Minute),
		}
		s.mu.Unlock()
		v := url.Values{"code": {code}}
		if state != "" {
			v.Set("state", state)
		}
		http.Redirect(w, r, withQuery(redirect, v), http.StatusFound)
	}
}

// checkRedirect returns Spotify's error for a redirect URI it would refuse.
func (s *Server) checkRedirect(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Host == "" {
		return "INVALID_CLIENT: Invalid redirect URI"
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	loopback := u.Scheme == "http" && ip != nil && ip.IsLoopback() && u.Port() != ""
	if u.Scheme != "https" && !loopback {
		return "INVALID_CLIENT: Insecure redirect URI"
	}
	if len(s.RedirectURIs) > 0 && !slices.Contains(s.RedirectURIs, raw) {
		return "INVALID_CLIENT: Invalid redirect URI"
	}
	return ""
}

func withQuery(base string, v url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + v.Encode()
}

// authPageError is the page Spotify shows instead of redirecting when the
// client or redirect URI is wrong.
func authPageError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Oops! Something went wrong, please try again or check out our help area.</h1><p>%s</p></body></html>\n", msg)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", "Invalid request body")
		return
	}
	clientID := r.PostForm.Get("client_id")
	if id, _, ok := r.BasicAuth(); ok {
		clientID = id
	}
	if clientID != s.ClientID {
		tokenError(w, "invalid_client", "Invalid client")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, r)
	case "refresh_token":
		s.refresh(w, r)
	case "":
		tokenError(w, "unsupported_grant_type", "grant_type parameter is missing")
	default:
		tokenError(w, "unsupported_grant_type", "grant_type must be client_credentials, authorization_code or refresh_token")
	}
}

// exchangeCode serves the authorization_code grant. A code is used up only
// by a successful exchange.
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.auth.codes[f.Get("code")]
	switch {
	case !ok || s.now().After(c.expires):
		tokenError(w, "invalid_grant", "Invalid authorization code")
	case f.Get("redirect_uri") != c.redirectURI:
		tokenError(w, "invalid_grant", "Invalid redirect URI")
	case f.Get("code_verifier") == "":
		tokenError(w, "invalid_request", "code_verifier required")
	case !verifierMatches(f.Get("code_verifier"), c.challenge):
		tokenError(w, "invalid_grant", "code_verifier was incorrect")
	default:
		delete(s.auth.codes, f.Get("code"))
		access, refresh, ttl := s.issue(c.scope)
		writeToken(w, access, refresh, c.scope, ttl)
	}
}

func verifierMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// refresh serves the refresh_token grant, rotating the refresh token.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	old := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, ok := s.auth.refresh[old]
	if old == "" || !ok {
		tokenError(w, "invalid_grant", "Invalid refresh token")
		return
	}
	delete(s.auth.refresh, old)
	access, refresh, ttl := s.issue(scope)
	s.auth.refreshes++
	writeToken(w, access, refresh, scope, ttl)
}

func writeToken(w http.ResponseWriter, access, refresh, scope string, ttl time.Duration) {
	writeJSON(w, http.StatusOK, struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		Scope        string `json:"scope"`
		ExpiresIn    int    `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
	}{access, "Bearer", scope, int(ttl / time.Second), refresh})
}

func tokenError(w http.ResponseWriter, code, desc string) {
	// Spotify answers 400 for every error here, invalid_client included.
	writeJSON(w, http.StatusBadRequest, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}

// api wraps an API handler with the bearer-token check and, when scope is
// set, the scope check.
func (s *Server) api(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			writeError(w, http.StatusUnauthorized, "No token provided")
			return
		}
		s.mu.RLock()
		t, known := s.auth.access[tok]
		now := s.now()
		s.mu.RUnlock()
		switch {
		case !known:
			unauthorized(w, "Invalid access token")
		case !now.Before(t.expires):
			unauthorized(w, "The access token expired")
		case scope != "" && !slices.Contains(strings.Fields(t.scope), scope):
			writeError(w, http.StatusForbidden, "Insufficient client scope")
		default:
			h(w, r)
		}
	}
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="spotify", error="invalid_token", error_description=`+strconv.Quote(msg))
	writeError(w, http.StatusUnauthorized, msg)
}
