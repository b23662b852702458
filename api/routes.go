package api

import (
	"net/http"
	"slices"
	"strings"
)

// Prefix is where every route lives.
const Prefix = "/api/v1"

// route is one entry of the API: the route table below is the single
// source for the mux and for the test that holds openapi.json to it.
type route struct {
	Method string
	Path   string // under Prefix, with {name} wildcards
	handle func(s *Server, w http.ResponseWriter, r *http.Request)
}

var routeTable = []route{
	{"GET", "/healthz", (*Server).healthz},
	{"GET", "/openapi.json", (*Server).openAPI},
	{"GET", "/status", (*Server).status},
	{"GET", "/events", (*Server).events},

	{"POST", "/player/play", (*Server).play},
	{"POST", "/player/pause", (*Server).pause},
	{"POST", "/player/resume", (*Server).resume},
	{"POST", "/player/stop", (*Server).stop},
	{"POST", "/player/next", (*Server).next},
	{"POST", "/player/previous", (*Server).previous},
	{"POST", "/player/seek", (*Server).seek},
	{"PUT", "/player/volume", (*Server).volume},
	{"PUT", "/player/shuffle", (*Server).shuffle},
	{"PUT", "/player/repeat", (*Server).repeat},
	{"GET", "/queue", (*Server).queue},
	{"PUT", "/queue", (*Server).setQueue},
	{"POST", "/queue/entries", (*Server).addToQueue},
	{"DELETE", "/queue/entries/{index}", (*Server).removeFromQueue},
	{"POST", "/queue/move", (*Server).moveInQueue},

	{"GET", "/playlists", (*Server).playlists},
	{"GET", "/playlists/{id}", (*Server).playlist},
	{"GET", "/playlists/{id}/m3u", (*Server).playlistM3U},
	{"GET", "/tracks", (*Server).tracks},
	{"GET", "/missing", (*Server).missing},
	{"GET", "/outages", (*Server).outages},
	{"PUT", "/matches/{spotify_id}", (*Server).setMatch},
	{"DELETE", "/matches/{spotify_id}", (*Server).resetMatch},
	{"POST", "/sync", (*Server).startSync},
	{"POST", "/scan", (*Server).startScan},
}

// routes builds the mux. Each path also gets a method-less pattern that
// answers 405 with Allow in JSON, and "/" answers 404 in JSON, so no
// plain-text error ever leaves the API. /metrics, when configured, sits
// beside Prefix rather than under it: it is not part of the versioned API
// (nor of openapi.json), but the same checks guard it.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	allow := map[string][]string{}
	var paths []string
	for _, rt := range routeTable {
		mux.HandleFunc(rt.Method+" "+Prefix+rt.Path, func(w http.ResponseWriter, r *http.Request) { rt.handle(s, w, r) })
		if allow[rt.Path] == nil {
			paths = append(paths, rt.Path)
		}
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
		if rt.Method == "GET" {
			allow[rt.Path] = append(allow[rt.Path], "HEAD")
		}
	}
	for _, p := range paths {
		methods := allow[p]
		slices.Sort(methods)
		list := strings.Join(methods, ", ")
		mux.HandleFunc(Prefix+p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", list)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use "+list)
		})
	}
	if s.opts.Metrics != nil {
		mux.Handle("GET /metrics", s.opts.Metrics)
		mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use GET, HEAD")
		})
	}
	if s.opts.Page != nil {
		mux.Handle("GET /{$}", s.opts.Page)
		mux.Handle("GET /static/", s.opts.Page)
		for _, p := range []string{"/{$}", "/static/"} {
			mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", "GET, HEAD")
				writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use GET, HEAD")
			})
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route: "+quote(r.URL.Path)+" (see "+Prefix+"/openapi.json)")
	})
	return mux
}
