package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// securityHeaders go on every answer. The value slices are shared between
// requests (saving an allocation each): nothing may modify them in place.
var securityHeaders = []struct {
	k string
	v []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Content-Security-Policy", []string{"frame-ancestors 'none'"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Cache-Control", []string{"no-store"}},
}

func hashToken(t string) [32]byte { return sha256.Sum256([]byte(t)) }

// secure wraps the routes in the checks every request passes, in this
// order: Host allowlist (403), cross-site signals (403), token (401),
// then for changes the content type (415) and the body cap (413, also
// enforced while reading a body sent without a length). Nothing
// reaches a handler, and so the backend, before all of them pass.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h := w.Header()
		for _, sh := range securityHeaders {
			h[sh.k] = sh.v
		}
		if s.log.Enabled(r.Context(), levelDebug) {
			sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
			defer func() { s.logRequest(r, sw.code, start) }()
			w = sw
		}
		if code, msg := s.check(r); code != 0 {
			if code == http.StatusUnauthorized {
				h.Set("WWW-Authenticate", `Bearer realm="tapedeck"`)
			}
			writeError(w, code, codeFor(code), msg)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// tokenFree reports requests that need no token even when one is set: the
// health check, and reading the web page's static files (they hold no
// secret; the page asks for the token and sends it with its API calls).
// Host and cross-site checks still apply to them.
func tokenFree(r *http.Request) bool {
	if r.URL.Path == "/api/v1/healthz" {
		return true
	}
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	return read && (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/static/"))
}

// check returns 0 when r may go on, else the status and message to refuse
// it with.
func (s *Server) check(r *http.Request) (int, string) {
	if !s.hostAllowed(r.Host) {
		return http.StatusForbidden, "host " + quote(r.Host) + " is not allowed: add it to http.allowed_hosts or use 127.0.0.1"
	}
	if msg := crossSite(r); msg != "" {
		return http.StatusForbidden, msg
	}
	if s.hasToken && !fromUnixSocket(r) && !tokenFree(r) {
		switch tok, ok := bearer(r); {
		case !ok:
			return http.StatusUnauthorized, "a token is required: send Authorization: Bearer <http.token> or X-API-Key"
		case !s.tokenOK(tok):
			return http.StatusUnauthorized, "wrong token"
		}
	}
	if !changeMethod(r.Method) {
		return 0, ""
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, "changes need Content-Type: application/json"
	}
	if r.ContentLength > maxBody {
		return http.StatusRequestEntityTooLarge, "request body is larger than 1 MiB"
	}
	return 0, ""
}

// changeMethod says whether m can change state on some route, and so
// needs the JSON content type. Other methods match no route and get 405.
func changeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// hostAllowed defeats DNS rebinding: a page on a name the attacker
// controls that now resolves to 127.0.0.1 still sends its own name.
// Loopback names and IP literals cannot be rebound.
func (s *Server) hostAllowed(hostport string) bool {
	if hostport == "" {
		return false
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if s.hosts[host] {
		return true
	}
	if net.ParseIP(host) != nil {
		return true
	}
	return s.hosts[normHost(host)]
}

// normHost lower-cases a configured or requested name and drops a port
// and a trailing dot.
func normHost(h string) string {
	h = strings.TrimSpace(h)
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// crossSite refuses requests a browser marks as coming from another site
// or another origin. Clients that are not browsers send neither header.
func crossSite(r *http.Request) string {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return "cross-site requests are refused"
	}
	origin, ok := r.Header["Origin"]
	if !ok {
		return ""
	}
	if len(origin) != 1 || !sameOrigin(origin[0], r.Host) {
		return "origin " + quote(strings.Join(origin, ",")) + " is not allowed"
	}
	return ""
}

// sameOrigin says whether the Origin header names the host the request was
// sent to. "null" (sandboxed frames, file: pages, some redirects) never does.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" || u.User != nil {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// bearer returns the token from Authorization: Bearer or X-API-Key.
func bearer(r *http.Request) (string, bool) {
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, tok, ok := strings.Cut(a, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", false
		}
		return strings.TrimSpace(tok), true
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k, true
	}
	return "", false
}

// tokenOK compares hashes, so neither the content nor the length of the
// token leaks through timing.
func (s *Server) tokenOK(tok string) bool {
	h := hashToken(tok)
	return subtle.ConstantTimeCompare(h[:], s.token[:]) == 1
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return `"` + strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if r < 32 || r == '"' {
			return '?'
		}
		return r
	}, s), "?") + `"`
}
