// Package web is tapedeck's web page: plain HTML, CSS and JavaScript
// embedded in the binary (no build step, nothing from a CDN), served by the
// API at / and /static/… (api.Options.Page). The page talks to /api/v1 on
// its own origin, so it passes the API's same-origin checks; it never holds
// a token in its source (with http.token set it asks for one and keeps it in
// the browser's local storage).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static/*
var files embed.FS

// csp is stricter than the API's own: the page loads only its own files and
// talks only to its own origin.
const csp = "default-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
}

// Handler serves GET / (index.html) and GET /static/<file>; anything else
// is 404.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := ""
		switch p := r.URL.Path; {
		case p == "/":
			name = "index.html"
		case strings.HasPrefix(p, "/static/"):
			name = strings.TrimPrefix(p, "/static/")
		}
		if name == "" || strings.Contains(name, "/") || !fs.ValidPath(name) {
			notFound(w)
			return
		}
		b, err := files.ReadFile("static/" + name)
		if err != nil {
			notFound(w)
			return
		}
		h := w.Header()
		ct, ok := types[path.Ext(name)]
		if !ok {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Security-Policy", csp)
		// The API says no-store for everything; the page is small and must
		// follow the daemon's version, so keep it that way.
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(b)
		}
	})
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"error":{"code":"not_found","message":"no such file"}}` + "\n"))
}
