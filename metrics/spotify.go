package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// SpotifyRequest counts one Web API request. path is the request's URL
// path; ids in it are replaced by {id} (see Endpoint). status 0 means no
// answer came and is counted as "error".
func (m *Metrics) SpotifyRequest(method, path string, status int) {
	s := "error"
	if status > 0 {
		s = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(normMethod(method), Endpoint(path), s).Inc()
}

// Transport counts every request sent through next (http.DefaultTransport
// when nil) by method, endpoint and status. Placed under the token and
// retry transports it counts each attempt, as Spotify's rate limit does.
func (m *Metrics) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &countingTransport{m: m, next: next}
}

type countingTransport struct {
	m    *Metrics
	next http.RoundTripper
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	switch {
	case err == nil:
		t.m.SpotifyRequest(req.Method, req.URL.Path, resp.StatusCode)
	case errors.Is(err, context.Canceled):
		// The daemon gave up (shutdown, a newer command): not Spotify's doing.
		t.m.requests.WithLabelValues(normMethod(req.Method), Endpoint(req.URL.Path), "canceled").Inc()
	default:
		t.m.SpotifyRequest(req.Method, req.URL.Path, 0)
	}
	return resp, err
}

// pathWords are the Web API's fixed path segments. Any other segment is a
// Spotify id, a user name, or a proxy's prefix, and becomes {id}: the
// endpoint label then takes a bounded set of values whatever the ids.
var pathWords = map[string]bool{
	"v1": true, "me": true, "player": true, "playlists": true, "items": true, "tracks": true,
	"users": true, "devices": true, "play": true, "pause": true, "seek": true, "next": true,
	"previous": true, "volume": true, "shuffle": true, "repeat": true, "currently-playing": true,
	"recently-played": true, "queue": true, "albums": true, "artists": true, "episodes": true,
	"shows": true, "audiobooks": true, "search": true, "browse": true, "followers": true,
	"following": true, "contains": true, "images": true, "top": true, "audio-features": true,
	"audio-analysis": true, "recommendations": true, "markets": true, "chapters": true,
}

// maxSegments caps the endpoint's depth; deeper paths end in "/...".
const maxSegments = 6

// Endpoint normalises a Web API path: "/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/items"
// becomes "/v1/playlists/{id}/items".
func Endpoint(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		return "/"
	}
	var b strings.Builder
	for i, s := range segs {
		if i == maxSegments {
			b.WriteString("/...")
			break
		}
		b.WriteByte('/')
		if pathWords[s] {
			b.WriteString(s)
		} else {
			b.WriteString("{id}")
		}
	}
	return b.String()
}

func normMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead:
		return m
	case "":
		return http.MethodGet
	}
	return "other"
}
