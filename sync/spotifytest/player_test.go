package spotifytest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// clock is a fake clock for Server.Now.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var start = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)

func timed(id string, ms int) spotifytest.Item {
	t := track(id)
	t.DurationMs = ms
	return spotifytest.Item{AddedAt: added, Track: t}
}

// mix is a playlist of four playable tracks (a 100 s, b 60 s, d 30 s,
// e 45 s) with a null entry and a local file, which Connect skips.
func mix() spotifytest.Playlist {
	return spotifytest.Playlist{ID: "mix", Name: "Mix", Items: []spotifytest.Item{
		timed("a", 100000),
		timed("b", 60000),
		{AddedAt: added}, // removed from the catalogue
		{AddedAt: added, Local: &spotifytest.LocalFile{Name: "Demo", Artist: "Me", Album: "Tapes", DurationMs: 90000}},
		timed("d", 30000),
		timed("e", 45000),
	}}
}

// playerServer is a fake with mix, a clock, a laptop and a speaker.
func playerServer(t *testing.T) (*spotifytest.Server, *clock, string) {
	t.Helper()
	srv := newServer(t)
	clk := &clock{t: start}
	srv.Now = clk.Now
	srv.AddPlaylist(mix())
	srv.AddDevice(spotifytest.Device{ID: "laptop", Name: "Laptop", VolumePercent: 70})
	srv.AddDevice(spotifytest.Device{ID: "speaker", Name: "Kitchen", Type: "Speaker", NoVolume: true})
	token, _ := srv.IssueTokens()
	return srv, clk, token
}

// call sends a request with a bearer token and a JSON body (if not nil).
func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// ok sends a player command and wants 204 with no body.
func ok(t *testing.T, srv *spotifytest.Server, method, path, token string, body any) {
	t.Helper()
	status, b := call(t, method, srv.APIURL()+path, token, body)
	if status != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
}

func wantState(t *testing.T, srv *spotifytest.Server, index int, progress time.Duration, playing bool) {
	t.Helper()
	st := srv.PlayerState()
	if st.Index != index || st.Progress != progress || st.IsPlaying != playing {
		t.Fatalf("state: index %d, progress %v, playing %v; want %d, %v, %v", st.Index, st.Progress, st.IsPlaying, index, progress, playing)
	}
}

func TestDevices(t *testing.T) {
	srv, _, token := playerServer(t)
	m := getObj(t, srv.APIURL()+"/me/player/devices", token)
	devs := list(t, m["devices"])
	if len(devs) != 2 {
		t.Fatalf("devices %v", devs)
	}
	laptop, speaker := obj(t, devs[0]), obj(t, devs[1])
	want := []string{"id", "is_active", "is_private_session", "is_restricted", "name", "supports_volume", "type", "volume_percent"}
	if !slices.Equal(keys(laptop), want) || !slices.Equal(keys(speaker), want) {
		t.Errorf("device keys %v, want %v", keys(laptop), want)
	}
	if laptop["id"] != "laptop" || laptop["type"] != "Computer" || laptop["volume_percent"] != 70.0 || laptop["is_active"] != false ||
		laptop["supports_volume"] != true {
		t.Errorf("laptop %v", laptop)
	}
	if speaker["type"] != "Speaker" || speaker["volume_percent"] != nil || speaker["supports_volume"] != false {
		t.Errorf("speaker %v", speaker)
	}

	// Nothing active: Spotify answers 204 with no body.
	for _, path := range []string{"/me/player", "/me/player/currently-playing"} {
		if status, body, _ := get(t, srv.APIURL()+path, token); status != http.StatusNoContent || len(body) != 0 {
			t.Errorf("%s with no active device: %d %s", path, status, body)
		}
	}
	if !srv.RemoveDevice("speaker") || srv.RemoveDevice("speaker") || len(srv.Devices()) != 1 {
		t.Error("RemoveDevice")
	}
}

func TestPlaybackStateJSON(t *testing.T) {
	srv, clk, token := playerServer(t)
	if err := srv.SetPlaying(spotifytest.Playback{DeviceID: "laptop", PlaylistID: "mix", Index: 1, Position: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	clk.Add(2500 * time.Millisecond)
	m := getObj(t, srv.APIURL()+"/me/player", token)
	want := []string{"actions", "context", "currently_playing_type", "device", "is_playing", "item", "progress_ms",
		"repeat_state", "shuffle_state", "smart_shuffle", "timestamp"}
	if !slices.Equal(keys(m), want) {
		t.Errorf("keys %v, want %v", keys(m), want)
	}
	if m["is_playing"] != true || m["progress_ms"] != 7500.0 || m["repeat_state"] != "off" || m["shuffle_state"] != false ||
		m["currently_playing_type"] != "track" || m["timestamp"] != float64(start.UnixMilli()) {
		t.Errorf("state %v", m)
	}
	ctx := obj(t, m["context"])
	if ctx["type"] != "playlist" || ctx["uri"] != "spotify:playlist:mix" || ctx["href"] != srv.APIURL()+"/playlists/mix" ||
		obj(t, ctx["external_urls"])["spotify"] != "https://open.spotify.com/playlist/mix" {
		t.Errorf("context %v", ctx)
	}
	if obj(t, m["device"])["id"] != "laptop" || obj(t, m["device"])["is_active"] != true {
		t.Errorf("device %v", m["device"])
	}
	if d := obj(t, obj(t, m["actions"])["disallows"]); !slices.Equal(keys(d), []string{"resuming"}) {
		t.Errorf("disallows %v", d)
	}

	// The item is the track object as elsewhere in the API (less the
	// playlist-only episode/track flags).
	item := obj(t, m["item"])
	entries := list(t, getObj(t, srv.APIURL()+"/playlists/mix/items", token)["items"])
	fromList := obj(t, obj(t, entries[1])["item"])
	delete(fromList, "episode")
	delete(fromList, "track")
	if a, b := mustJSON(t, item), mustJSON(t, fromList); a != b {
		t.Errorf("item\n%s\nwant\n%s", a, b)
	}

	cp := getObj(t, srv.APIURL()+"/me/player/currently-playing", token)
	if want := []string{"actions", "context", "currently_playing_type", "is_playing", "item", "progress_ms", "timestamp"}; !slices.Equal(keys(cp), want) {
		t.Errorf("currently-playing keys %v", keys(cp))
	}

	q := getObj(t, srv.APIURL()+"/me/player/queue", token)
	var ids []any
	for _, it := range list(t, q["queue"]) {
		ids = append(ids, obj(t, it)["id"])
	}
	if obj(t, q["currently_playing"])["id"] != "b" || !slices.Equal(ids, []any{"d", "e"}) {
		t.Errorf("queue: %v then %v", obj(t, q["currently_playing"])["id"], ids)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProgressFollowsClock(t *testing.T) {
	srv, clk, token := playerServer(t)
	ok(t, srv, "PUT", "/me/player/play?device_id=laptop", token, map[string]any{"context_uri": "spotify:playlist:mix"})
	wantState(t, srv, 0, 0, true)
	clk.Add(30 * time.Second)
	wantState(t, srv, 0, 30*time.Second, true)

	clk.Add(time.Second)
	ok(t, srv, "PUT", "/me/player/pause", token, nil)
	paused := srv.PlayerState().Changed
	clk.Add(10 * time.Minute) // (the token lives an hour on this clock too)
	wantState(t, srv, 0, 31*time.Second, false)
	if m := getObj(t, srv.APIURL()+"/me/player", token); m["progress_ms"] != 31000.0 || m["is_playing"] != false ||
		m["timestamp"] != float64(paused.UnixMilli()) || !slices.Equal(keys(obj(t, obj(t, m["actions"])["disallows"])), []string{"pausing"}) {
		t.Errorf("paused state %v", m)
	}

	ok(t, srv, "PUT", "/me/player/play", token, nil) // resume
	clk.Add(9 * time.Second)
	wantState(t, srv, 0, 40*time.Second, true)
	ok(t, srv, "PUT", "/me/player/seek?position_ms=90000", token, nil)
	clk.Add(5 * time.Second)
	wantState(t, srv, 0, 95*time.Second, true)
}

func TestAutoAdvance(t *testing.T) {
	srv, clk, token := playerServer(t)
	ok(t, srv, "PUT", "/me/player/play?device_id=laptop", token, map[string]any{"context_uri": "spotify:playlist:mix"})
	clk.Add(100 * time.Second) // a ends exactly now
	wantState(t, srv, 1, 0, true)
	if srv.PlayerState().Changed != start.Add(100*time.Second) {
		t.Errorf("changed %v", srv.PlayerState().Changed)
	}
	clk.Add(70 * time.Second) // b (60 s) ends; the null entry and the local file are skipped
	wantState(t, srv, 4, 10*time.Second, true)
	if st := srv.PlayerState(); st.ItemURI != "spotify:track:d" || st.Changed != start.Add(160*time.Second) {
		t.Errorf("state %+v", st)
	}
	// Repeat off: after the last entry the player stops at the first one.
	clk.Add(20*time.Second + 45*time.Second + time.Minute)
	wantState(t, srv, 0, 0, false)
	if st := srv.PlayerState(); st.Changed != start.Add(235*time.Second) {
		t.Errorf("stopped at %v", st.Changed)
	}

	// Repeat track loops the entry; repeat context wraps around.
	ok(t, srv, "PUT", "/me/player/play", token, map[string]any{"context_uri": "spotify:playlist:mix", "offset": map[string]any{"position": 5}})
	ok(t, srv, "PUT", "/me/player/repeat?state=track", token, nil)
	clk.Add(100 * time.Second)
	wantState(t, srv, 5, 10*time.Second, true)
	ok(t, srv, "PUT", "/me/player/repeat?state=context", token, nil)
	clk.Add(40 * time.Second)
	wantState(t, srv, 0, 5*time.Second, true)
	if q := getObj(t, srv.APIURL()+"/me/player/queue", token); len(list(t, q["queue"])) != 3 {
		t.Errorf("queue with repeat context: %v", q["queue"])
	}

	// A start position past the end of the entry starts the next one.
	ok(t, srv, "PUT", "/me/player/repeat?state=off", token, nil)
	ok(t, srv, "PUT", "/me/player/play", token, map[string]any{"context_uri": "spotify:playlist:mix",
		"offset": map[string]any{"uri": "spotify:track:b"}, "position_ms": 61000})
	wantState(t, srv, 4, time.Second, true)
}

func TestCommands(t *testing.T) {
	srv, clk, token := playerServer(t)
	ok(t, srv, "PUT", "/me/player/play?device_id=laptop", token, map[string]any{"uris": []string{"spotify:track:e", "spotify:track:nope", "spotify:track:a"}})
	if st := srv.PlayerState(); st.ContextURI != "" || st.ItemURI != "spotify:track:e" || st.DeviceID != "laptop" {
		t.Errorf("uris: %+v", st)
	}
	if m := getObj(t, srv.APIURL()+"/me/player", token); m["context"] != nil {
		t.Errorf("context of uris %v", m["context"])
	}
	ok(t, srv, "POST", "/me/player/next", token, nil) // the unknown track is skipped
	wantState(t, srv, 2, 0, true)
	ok(t, srv, "POST", "/me/player/next", token, nil) // past the end: stop at the first
	wantState(t, srv, 0, 0, false)

	ok(t, srv, "PUT", "/me/player/play", token, map[string]any{"context_uri": "spotify:playlist:mix", "offset": map[string]any{"position": 2}})
	wantState(t, srv, 4, 0, true) // position 2 is the null entry: the next playable one plays
	clk.Add(3 * time.Second)
	ok(t, srv, "POST", "/me/player/previous", token, nil)
	wantState(t, srv, 1, 0, true)
	ok(t, srv, "POST", "/me/player/previous", token, nil)
	ok(t, srv, "POST", "/me/player/previous", token, nil) // the first entry restarts
	wantState(t, srv, 0, 0, true)

	ok(t, srv, "PUT", "/me/player/volume?volume_percent=35", token, nil)
	ok(t, srv, "PUT", "/me/player/shuffle?state=true", token, nil)
	if st := srv.PlayerState(); st.VolumePercent != 35 || !st.Shuffle || st.Index != 0 {
		t.Errorf("volume/shuffle: %+v", st)
	}
	var seen []int
	for range 3 {
		ok(t, srv, "POST", "/me/player/next", token, nil)
		seen = append(seen, srv.PlayerState().Index)
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []int{1, 4, 5}) {
		t.Errorf("shuffled order visited %v", seen)
	}
	ok(t, srv, "PUT", "/me/player/shuffle?state=false", token, nil)

	// Transfer keeps playing; with play false a paused player stays paused.
	clk.Add(2 * time.Second)
	ok(t, srv, "PUT", "/me/player", token, map[string]any{"device_ids": []string{"speaker"}})
	if st := srv.PlayerState(); st.DeviceID != "speaker" || !st.IsPlaying || st.Progress != 2*time.Second {
		t.Errorf("after transfer: %+v", st)
	}
	ok(t, srv, "PUT", "/me/player/pause", token, nil)
	ok(t, srv, "PUT", "/me/player", token, map[string]any{"device_ids": []string{"laptop"}, "play": false})
	if st := srv.PlayerState(); st.DeviceID != "laptop" || st.IsPlaying {
		t.Errorf("transfer play false: %+v", st)
	}
	ok(t, srv, "PUT", "/me/player", token, map[string]any{"device_ids": []string{"speaker"}, "play": true})
	if st := srv.PlayerState(); st.DeviceID != "speaker" || !st.IsPlaying {
		t.Errorf("transfer play true: %+v", st)
	}
	devs := srv.Devices()
	if devs[0].IsActive || !devs[1].IsActive {
		t.Errorf("devices %+v", devs)
	}
}

func TestCommandErrors(t *testing.T) {
	srv, _, token := playerServer(t)
	u := srv.APIURL()
	status, body := call(t, "PUT", u+"/me/player/pause", token, nil)
	wantAPIError(t, status, body, 404, "Player command failed: No active device found")
	wantReason(t, body, "NO_ACTIVE_DEVICE")
	status, body = call(t, "PUT", u+"/me/player/play?device_id=toaster", token, nil)
	wantAPIError(t, status, body, 404, "Device not found")

	srv.AddDevice(spotifytest.Device{ID: "phone", Name: "Phone", Type: "Smartphone", IsActive: true})
	status, body = call(t, "PUT", u+"/me/player/play", token, nil) // nothing to resume
	wantAPIError(t, status, body, 403, "Restriction violated")
	ok(t, srv, "PUT", "/me/player/play", token, map[string]any{"context_uri": "spotify:playlist:mix"})
	ok(t, srv, "PUT", "/me/player/pause", token, nil)
	status, body = call(t, "PUT", u+"/me/player/pause", token, nil)
	wantAPIError(t, status, body, 403, "Player command failed: Restriction violated")
	wantReason(t, body, "UNKNOWN")
	status, body = call(t, "PUT", u+"/me/player/seek?device_id=laptop&position_ms=1", token, nil)
	wantAPIError(t, status, body, 404, "No active device found")

	cases := []struct {
		method, path string
		body         any
		status       int
		msg          string
	}{
		{"PUT", "/me/player/seek", nil, 400, "position_ms"},
		{"PUT", "/me/player/seek?position_ms=-1", nil, 400, "position_ms"},
		{"PUT", "/me/player/volume?volume_percent=101", nil, 400, "volume_percent"},
		{"PUT", "/me/player/shuffle?state=maybe", nil, 400, "state"},
		{"PUT", "/me/player/repeat?state=all", nil, 400, "state"},
		{"PUT", "/me/player/play", map[string]any{"context_uri": "spotify:playlist:nope"}, 404, "Context not found"},
		{"PUT", "/me/player/play", map[string]any{"context_uri": "spotify:playlist:mix", "uris": []string{"spotify:track:a"}}, 400, "Only one"},
		{"PUT", "/me/player/play", map[string]any{"context_uri": "spotify:playlist:mix", "offset": map[string]any{"position": 6}}, 400, "Invalid offset"},
		{"PUT", "/me/player/play", map[string]any{"uris": []string{"spotify:album:x"}}, 400, "Invalid track uri"},
		{"PUT", "/me/player/play", map[string]any{"context_uri": "spotify:user:me:collection"}, 400, "Non supported context uri"},
		{"PUT", "/me/player/play", map[string]any{"context_uri": "spotify:album:nope"}, 404, "Context not found"},
		{"PUT", "/me/player", map[string]any{"device_ids": []string{"phone", "laptop"}}, 400, "Only one device"},
		{"PUT", "/me/player", map[string]any{"device_ids": []string{"toaster"}}, 404, "Device not found"},
	}
	for _, c := range cases {
		status, body := call(t, c.method, u+c.path, token, c.body)
		wantAPIError(t, status, body, c.status, c.msg)
	}

	ok(t, srv, "PUT", "/me/player", token, map[string]any{"device_ids": []string{"speaker"}})
	status, body = call(t, "PUT", u+"/me/player/volume?volume_percent=10", token, nil)
	wantAPIError(t, status, body, 403, "Cannot control device volume")
	wantReason(t, body, "VOLUME_CONTROL_DISALLOW")

	srv.AddDevice(spotifytest.Device{ID: "car", Name: "Car", Type: "Automobile", IsRestricted: true})
	status, body = call(t, "PUT", u+"/me/player", token, map[string]any{"device_ids": []string{"car"}})
	wantAPIError(t, status, body, 403, "Restriction violated")

	srv.SetUser(spotifytest.User{ID: "free", DisplayName: "Free", Product: "free"})
	status, body = call(t, "POST", u+"/me/player/next", token, nil)
	wantAPIError(t, status, body, 403, "Player command failed: Premium required")
	wantReason(t, body, "PREMIUM_REQUIRED")
	getObj(t, u+"/me/player", token) // reading needs no Premium

	readOnly, _ := srv.IssueTokens("user-read-playback-state")
	status, body = call(t, "PUT", u+"/me/player/pause", readOnly, nil)
	wantAPIError(t, status, body, 403, "Insufficient client scope")
	srv.ExpireAccessTokens()
	status, body = call(t, "GET", u+"/me/player", token, nil)
	wantAPIError(t, status, body, 401, "The access token expired")
}

func wantReason(t *testing.T, body []byte, reason string) {
	t.Helper()
	if got := obj(t, decode(t, body)["error"])["reason"]; got != reason {
		t.Errorf("reason %v, want %s", got, reason)
	}
}

func TestPlayerRoutesFaultsAndCounts(t *testing.T) {
	srv, _, token := playerServer(t)
	routes := srv.Routes()
	for _, r := range []string{"GET /v1/me/player", "PUT /v1/me/player", "GET /v1/me/player/devices",
		"GET /v1/me/player/currently-playing", "GET /v1/me/player/queue", "PUT /v1/me/player/play",
		"PUT /v1/me/player/pause", "POST /v1/me/player/next", "POST /v1/me/player/previous",
		"PUT /v1/me/player/seek", "PUT /v1/me/player/volume", "PUT /v1/me/player/shuffle", "PUT /v1/me/player/repeat"} {
		if !slices.Contains(routes, r) {
			t.Errorf("route %q missing", r)
		}
	}
	srv.Fault("PUT /v1/me/player/play", spotifytest.Fault{Status: 502, Times: 1})
	body := map[string]any{"context_uri": "spotify:playlist:mix"}
	status, b := call(t, "PUT", srv.APIURL()+"/me/player/play?device_id=laptop", token, body)
	wantAPIError(t, status, b, 502, "Bad gateway")
	ok(t, srv, "PUT", "/me/player/play?device_id=laptop", token, body)
	if n := srv.Requests("PUT /v1/me/player/play"); n != 2 {
		t.Errorf("requests %d", n)
	}
}

// An album plays as a context: its URI in the state, and in /me/player a
// context of type album with the album's href.
func TestAlbumContext(t *testing.T) {
	srv, _, token := playerServer(t)
	srv.AddAlbum("alb", []spotifytest.Item{timed("d", 30000), timed("e", 45000)})
	ok(t, srv, "PUT", "/me/player/play?device_id=laptop", token, map[string]any{"context_uri": "spotify:album:alb",
		"offset": map[string]any{"uri": "spotify:track:e"}, "position_ms": 5000})
	if st := srv.PlayerState(); st.ContextURI != "spotify:album:alb" || st.ItemURI != "spotify:track:e" {
		t.Errorf("album: %+v", st)
	}
	ctx, _ := getObj(t, srv.APIURL()+"/me/player", token)["context"].(map[string]any)
	if ctx["type"] != "album" || ctx["uri"] != "spotify:album:alb" || ctx["href"] != srv.APIURL()+"/albums/alb" {
		t.Errorf("context = %v", ctx)
	}
	if err := srv.SetPlaying(spotifytest.Playback{AlbumID: "alb"}); err != nil {
		t.Fatal(err)
	}
	if st := srv.PlayerState(); st.ContextURI != "spotify:album:alb" || st.ItemURI != "spotify:track:d" {
		t.Errorf("SetPlaying album: %+v", st)
	}
}
