package spotifytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

const redirect = "http://127.0.0.1:8765/callback"

func oauthConfig(srv *spotifytest.Server) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    srv.ClientID,
		RedirectURL: redirect,
		Scopes:      []string{"playlist-read-private", "user-library-read"},
		Endpoint: oauth2.Endpoint{
			AuthURL: srv.AccountsURL() + "/authorize", TokenURL: srv.AccountsURL() + "/api/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// noFollow stops at the accounts service's redirect, as the browser would
// hand it to tapedeck's callback listener.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize opens the authorization URL and returns the redirect's query.
func authorize(t *testing.T, authURL string) (int, url.Values) {
	t.Helper()
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return resp.StatusCode, nil
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("redirected to %s", loc)
	}
	return resp.StatusCode, loc.Query()
}

func TestPKCELogin(t *testing.T) {
	srv := newServer(t)
	cfg := oauthConfig(srv)
	verifier := oauth2.GenerateVerifier()
	status, q := authorize(t, cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier)))
	if status != http.StatusFound || q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("authorize: %d %v", status, q)
	}
	ctx := context.Background()

	_, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantGrantError(t, err, "invalid_grant", "code_verifier was incorrect")
	_, err = cfg.Exchange(ctx, q.Get("code"))
	wantGrantError(t, err, "invalid_request", "code_verifier")

	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Extra("scope") != "playlist-read-private user-library-read" ||
		time.Until(tok.Expiry) < 59*time.Minute || time.Until(tok.Expiry) > time.Hour {
		t.Errorf("token = %+v scope %v", tok, tok.Extra("scope"))
	}
	if me := getObj(t, srv.APIURL()+"/me", tok.AccessToken); me["id"] != "tapedeck-user" {
		t.Errorf("me = %v", me)
	}

	_, err = cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	wantGrantError(t, err, "invalid_grant", "Invalid authorization code")
}

func TestAuthorizeRefusals(t *testing.T) {
	srv := newServer(t)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	authURL := func(change func(url.Values)) string {
		q := url.Values{
			"client_id": {srv.ClientID}, "response_type": {"code"}, "redirect_uri": {redirect},
			"code_challenge_method": {"S256"}, "code_challenge": {challenge}, "state": {"s"},
		}
		change(q)
		return srv.AccountsURL() + "/authorize?" + q.Encode()
	}
	pageErrors := []struct {
		name   string
		change func(url.Values)
		want   string
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "other") }, "INVALID_CLIENT: Invalid client"},
		{"localhost", func(q url.Values) { q.Set("redirect_uri", "http://localhost:8765/callback") }, "INVALID_CLIENT: Insecure redirect URI"},
		{"plain http", func(q url.Values) { q.Set("redirect_uri", "http://example.com/cb") }, "INVALID_CLIENT: Insecure redirect URI"},
		{"no redirect", func(q url.Values) { q.Del("redirect_uri") }, "INVALID_CLIENT: Invalid redirect URI"},
	}
	for _, c := range pageErrors {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := get(t, authURL(c.change), "")
			if status != http.StatusBadRequest || !strings.Contains(string(body), c.want) {
				t.Errorf("%d %s", status, body)
			}
		})
	}

	resp, err := noFollow.Get(authURL(func(q url.Values) { q.Set("redirect_uri", "http://[::1]:9000/cb") }))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "http://[::1]:9000/cb?code=") {
		t.Errorf("[::1]: %d %q", resp.StatusCode, loc)
	}
	redirects := []struct {
		name   string
		change func(url.Values)
		want   string
	}{
		{"no PKCE", func(q url.Values) { q.Del("code_challenge") }, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"token flow", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
	}
	for _, c := range redirects {
		t.Run(c.name, func(t *testing.T) {
			_, q := authorize(t, authURL(c.change))
			if q.Get("error") != c.want || q.Get("state") != "s" || q.Get("code") != "" {
				t.Errorf("redirect query %v", q)
			}
		})
	}

	srv.DenyAuthorization = true
	if _, q := authorize(t, authURL(func(url.Values) {})); q.Get("error") != "access_denied" || q.Get("state") != "s" {
		t.Errorf("deny: %v", q)
	}

	srv.DenyAuthorization = false
	srv.RedirectURIs = []string{"http://127.0.0.1:1234/cb"}
	status, body, _ := get(t, authURL(func(url.Values) {}), "")
	if status != http.StatusBadRequest || !strings.Contains(string(body), "Invalid redirect URI") {
		t.Errorf("unregistered redirect: %d %s", status, body)
	}
}

func TestRefreshRotatesTheRefreshToken(t *testing.T) {
	srv := newServer(t)
	access, refresh := srv.IssueTokens()

	first := postToken(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {srv.ClientID}})
	if first.Status != 200 || first.RefreshToken == "" || first.RefreshToken == refresh || first.AccessToken == access ||
		first.TokenType != "Bearer" || first.ExpiresIn != 3600 || !strings.Contains(first.Scope, "user-library-read") {
		t.Fatalf("refresh = %+v", first)
	}
	again := postToken(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {srv.ClientID}})
	if again.Status != 400 || again.Error != "invalid_grant" || again.Description != "Invalid refresh token" {
		t.Errorf("reused refresh token: %+v", again)
	}
	second := postToken(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "client_id": {srv.ClientID}})
	if second.Status != 200 || srv.Refreshes() != 2 {
		t.Errorf("second refresh %+v, refreshes %d", second, srv.Refreshes())
	}
	// The access token from before the refresh still works until it expires.
	getObj(t, srv.APIURL()+"/me", access)

	srv.RevokeRefreshTokens()
	revoked := postToken(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}, "client_id": {srv.ClientID}})
	if revoked.Status != 400 || revoked.Error != "invalid_grant" {
		t.Errorf("revoked: %+v", revoked)
	}

	bad := postToken(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"other"}})
	if bad.Error != "invalid_client" {
		t.Errorf("other client: %+v", bad)
	}
	if g := postToken(t, srv, url.Values{"client_id": {srv.ClientID}}); g.Error != "unsupported_grant_type" {
		t.Errorf("no grant type: %+v", g)
	}
}

func TestRefreshThroughOAuth2TokenSource(t *testing.T) {
	srv := newServer(t)
	access, refresh := srv.IssueTokens()
	srv.ExpireAccessTokens()
	ts := oauthConfig(srv).TokenSource(context.Background(), &oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == refresh || srv.Refreshes() != 1 {
		t.Errorf("refresh token not rotated: %+v", tok)
	}
	getObj(t, srv.APIURL()+"/me", tok.AccessToken)
}

func TestAccessTokenExpiry(t *testing.T) {
	srv := newServer(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	srv.Now = func() time.Time { return now }
	srv.TokenTTL = 10 * time.Minute
	access, _ := srv.IssueTokens()
	getObj(t, srv.APIURL()+"/me", access)

	now = now.Add(10 * time.Minute)
	status, body, hdr := get(t, srv.APIURL()+"/me", access)
	wantAPIError(t, status, body, 401, "The access token expired")
	if !strings.Contains(hdr.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("WWW-Authenticate %q", hdr.Get("WWW-Authenticate"))
	}

	fresh, _ := srv.IssueTokens()
	getObj(t, srv.APIURL()+"/me", fresh)
	srv.ExpireAccessTokens()
	status, body, _ = get(t, srv.APIURL()+"/me/playlists", fresh)
	wantAPIError(t, status, body, 401, "The access token expired")

	status, body, _ = get(t, srv.APIURL()+"/me", "garbage")
	wantAPIError(t, status, body, 401, "Invalid access token")
	status, body, _ = get(t, srv.APIURL()+"/me", "")
	wantAPIError(t, status, body, 401, "No token provided")
}

type tokenReply struct {
	Status       int
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

func postToken(t *testing.T, srv *spotifytest.Server, form url.Values) tokenReply {
	t.Helper()
	resp, err := http.PostForm(srv.AccountsURL()+"/api/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := tokenReply{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func wantGrantError(t *testing.T, err error, code, desc string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a RetrieveError", err)
	}
	if re.Response.StatusCode != 400 || re.ErrorCode != code || !strings.Contains(re.ErrorDescription, desc) {
		t.Fatalf("error %d %q %q, want %q %q", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription, code, desc)
	}
}
