package spotifytest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

func newServer(t *testing.T) *spotifytest.Server {
	t.Helper()
	srv := spotifytest.New()
	t.Cleanup(srv.Close)
	return srv
}

// get calls the API with a bearer token (none if token is empty).
func get(t *testing.T, url, token string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// getObj calls the API, wants 200 and decodes the body as an object.
func getObj(t *testing.T, url, token string) map[string]any {
	t.Helper()
	status, body, _ := get(t, url, token)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	return decode(t, body)
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m
}

// wantAPIError checks a Web API error object.
func wantAPIError(t *testing.T, status int, body []byte, wantStatus int, wantMsg string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d (%s)", status, wantStatus, body)
	}
	var e struct {
		Error struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if e.Error.Status != wantStatus || !strings.Contains(e.Error.Message, wantMsg) {
		t.Fatalf("error %+v, want status %d and message %q", e.Error, wantStatus, wantMsg)
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func obj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is %T, not an object", v, v)
	}
	return m
}

func list(t *testing.T, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is %T, not a list", v, v)
	}
	return l
}

var added = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func track(id string) *spotifytest.Track {
	a := spotifytest.Artist{ID: "artist" + id, Name: "Artist " + id}
	return &spotifytest.Track{
		ID: id, Name: "Song " + id, Artists: []spotifytest.Artist{a},
		Album:      spotifytest.Album{ID: "album" + id, Name: "Album " + id, ReleaseDate: "2001-02-03", Artists: []spotifytest.Artist{a}},
		DurationMs: 210000, ISRC: "USABC0100001", DiscNumber: 1, TrackNumber: 3, Popularity: 42,
	}
}

func tracks(n int) []spotifytest.Item {
	items := make([]spotifytest.Item, n)
	for i := range items {
		items[i] = spotifytest.Item{AddedAt: added.Add(time.Duration(i) * time.Minute), Track: track("t" + string(rune('a'+i%26)) + strings.Repeat("x", i/26))}
	}
	return items
}
