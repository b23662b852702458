package spotifytest_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

func TestMeHasOnlyDevModeFields(t *testing.T) {
	srv := newServer(t)
	srv.SetUser(spotifytest.User{ID: "anna", DisplayName: "Anna", Country: "SE", Product: "premium"})
	token, _ := srv.IssueTokens()

	me := getObj(t, srv.APIURL()+"/me", token)
	want := []string{"display_name", "external_urls", "href", "id", "images", "type", "uri"}
	if got := keys(me); !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	if me["id"] != "anna" || me["uri"] != "spotify:user:anna" || me["href"] != srv.APIURL()+"/users/anna" {
		t.Errorf("me = %v", me)
	}

	srv.ExtendedQuota = true
	me = getObj(t, srv.APIURL()+"/me", token)
	if me["country"] != "SE" || me["product"] != "premium" {
		t.Errorf("extended quota me = %v", me)
	}
}

func TestMyPlaylistsPagesWithAbsoluteNextURLs(t *testing.T) {
	srv := newServer(t)
	for i := range 55 {
		srv.AddPlaylist(spotifytest.Playlist{ID: fmt.Sprintf("pl%02d", i), Name: fmt.Sprintf("List %d", i), Items: tracks(i % 3)})
	}
	token, _ := srv.IssueTokens()

	first := getObj(t, srv.APIURL()+"/me/playlists", token)
	if first["limit"] != 20.0 || first["offset"] != 0.0 || first["total"] != 55.0 || first["previous"] != nil {
		t.Errorf("default page = %v", first)
	}
	if len(list(t, first["items"])) != 20 {
		t.Errorf("default page has %d items", len(list(t, first["items"])))
	}

	var ids []string
	next := srv.APIURL() + "/me/playlists?limit=50"
	for pages := 0; next != ""; pages++ {
		if pages > 2 {
			t.Fatal("too many pages")
		}
		if !strings.HasPrefix(next, srv.URL+"/v1/me/playlists?") {
			t.Fatalf("next %q is not an absolute URL on the fake", next)
		}
		p := getObj(t, next, token)
		for _, it := range list(t, p["items"]) {
			ids = append(ids, obj(t, it)["id"].(string))
		}
		next, _ = p["next"].(string)
		if p["offset"] == 50.0 && p["previous"] != srv.URL+"/v1/me/playlists?offset=0&limit=50" {
			t.Errorf("previous = %v", p["previous"])
		}
	}
	if len(ids) != 55 || ids[0] != "pl00" || ids[54] != "pl54" {
		t.Errorf("got %d playlists: %v", len(ids), ids)
	}

	for _, q := range []string{"limit=51", "limit=0", "limit=x", "offset=-1"} {
		status, body, _ := get(t, srv.APIURL()+"/me/playlists?"+q, token)
		if status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, status, body)
		}
	}
	status, body, _ := get(t, srv.APIURL()+"/me/playlists?limit=51", token)
	wantAPIError(t, status, body, 400, "Invalid limit")
}

func TestSimplifiedPlaylistShape(t *testing.T) {
	srv := newServer(t)
	srv.AddPlaylist(spotifytest.Playlist{ID: "full", Name: "Full", Public: true, Items: tracks(3)})
	srv.AddPlaylist(spotifytest.Playlist{ID: "empty", Name: "Empty", OwnerID: "bob", OwnerName: "Bob", Collaborative: true})
	token, _ := srv.IssueTokens()

	items := list(t, getObj(t, srv.APIURL()+"/me/playlists", token)["items"])
	p := obj(t, items[0])
	want := []string{"collaborative", "description", "external_urls", "href", "id", "images", "items", "name", "owner", "primary_color", "public", "snapshot_id", "type", "uri"}
	if got := keys(p); !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	ref := obj(t, p["items"])
	if ref["total"] != 3.0 || ref["href"] != srv.APIURL()+"/playlists/full/items" {
		t.Errorf("items ref = %v", ref)
	}
	if snap, _ := p["snapshot_id"].(string); len(snap) != 32 {
		t.Errorf("snapshot_id %q", snap)
	}
	owner := obj(t, p["owner"])
	if owner["id"] != "tapedeck-user" || owner["display_name"] != "Tapedeck Tester" || owner["type"] != "user" {
		t.Errorf("owner = %v", owner)
	}
	e := obj(t, items[1])
	if e["images"] != nil || e["collaborative"] != true || obj(t, e["owner"])["display_name"] != "Bob" {
		t.Errorf("empty playlist = %v", e)
	}
}

func TestKeyModes(t *testing.T) {
	cases := []struct {
		mode        spotifytest.KeyMode
		item, track bool
	}{
		{spotifytest.KeysItem, true, false},
		{spotifytest.KeysBoth, true, true},
		{spotifytest.KeysTrack, false, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.mode), func(t *testing.T) {
			srv := newServer(t)
			srv.Keys = c.mode
			srv.AddPlaylist(spotifytest.Playlist{ID: "p", Name: "P", Items: tracks(2)})
			token, _ := srv.IssueTokens()

			sp := obj(t, list(t, getObj(t, srv.APIURL()+"/me/playlists", token)["items"])[0])
			entry := obj(t, list(t, getObj(t, srv.APIURL()+"/playlists/p/items", token)["items"])[0])
			full := getObj(t, srv.APIURL()+"/playlists/p", token)
			for name, m := range map[string]map[string]any{"simplified": sp, "entry": entry} {
				_, hasItem := m[map[string]string{"simplified": "items", "entry": "item"}[name]]
				_, hasTrack := m[map[string]string{"simplified": "tracks", "entry": "track"}[name]]
				if hasItem != c.item || hasTrack != c.track {
					t.Errorf("%s keys %v", name, keys(m))
				}
			}
			if c.item && c.track && fmt.Sprint(entry["item"]) != fmt.Sprint(entry["track"]) {
				t.Error("item and track differ")
			}
			_, hasItems := full["items"]
			_, hasTracks := full["tracks"]
			if hasItems != c.item || hasTracks != c.track {
				t.Errorf("full playlist keys %v", keys(full))
			}
		})
	}
}

func TestPlaylistItemsEveryKindOfEntry(t *testing.T) {
	srv := newServer(t)
	show := spotifytest.Show{ID: "show1", Name: "A Show"}
	srv.AddPlaylist(spotifytest.Playlist{ID: "mix", Name: "Mix", Items: []spotifytest.Item{
		{AddedAt: added, Track: track("t1")},
		{AddedAt: added, AddedBy: "friend", Local: &spotifytest.LocalFile{Name: "One More Time", Artist: "Daft Punk", Album: "Discovery", DurationMs: 320500}},
		{AddedAt: added, Episode: &spotifytest.Episode{ID: "ep1", Name: "Ep", DurationMs: 1000, ReleaseDate: "2020-01-02", Show: show}},
		{AddedAt: added},
		{Track: track("t2")},
	}})
	token, _ := srv.IssueTokens()
	page := getObj(t, srv.APIURL()+"/playlists/mix/items", token)
	items := list(t, page["items"])
	if len(items) != 5 || page["total"] != 5.0 || page["next"] != nil {
		t.Fatalf("page = %v", page)
	}

	e := obj(t, items[0])
	if got := keys(e); !slices.Equal(got, []string{"added_at", "added_by", "is_local", "item", "primary_color", "video_thumbnail"}) {
		t.Errorf("entry keys %v", got)
	}
	if e["added_at"] != "2024-05-06T07:08:09Z" || obj(t, e["added_by"])["id"] != "tapedeck-user" || e["is_local"] != false {
		t.Errorf("entry = %v", e)
	}
	tr := obj(t, e["item"])
	wantTrack := []string{"album", "artists", "disc_number", "duration_ms", "episode", "explicit", "external_ids", "external_urls",
		"href", "id", "is_local", "is_playable", "name", "preview_url", "track", "track_number", "type", "uri"}
	if got := keys(tr); !slices.Equal(got, wantTrack) {
		t.Errorf("track keys %v, want %v (no popularity in dev mode)", got, wantTrack)
	}
	if tr["type"] != "track" || tr["uri"] != "spotify:track:t1" || obj(t, tr["external_ids"])["isrc"] != "USABC0100001" || tr["duration_ms"] != 210000.0 {
		t.Errorf("track = %v", tr)
	}
	album := obj(t, tr["album"])
	if album["release_date"] != "2001-02-03" || album["release_date_precision"] != "day" || album["id"] != "albumt1" || album["album_type"] != "album" {
		t.Errorf("album = %v", album)
	}
	if a := obj(t, list(t, tr["artists"])[0]); a["id"] != "artistt1" || a["uri"] != "spotify:artist:artistt1" || a["type"] != "artist" {
		t.Errorf("artist = %v", a)
	}

	local := obj(t, items[1])
	lt := obj(t, local["item"])
	if local["is_local"] != true || lt["is_local"] != true || lt["id"] != nil || lt["href"] != nil ||
		lt["uri"] != "spotify:local:Daft+Punk:Discovery:One+More+Time:320" || obj(t, lt["album"])["id"] != nil ||
		obj(t, list(t, lt["artists"])[0])["id"] != nil || obj(t, local["added_by"])["id"] != "friend" {
		t.Errorf("local entry = %v", local)
	}

	legacy := obj(t, obj(t, items[2])["item"])
	if legacy["type"] != "episode" || legacy["uri"] != "spotify:episode:ep1" || obj(t, legacy["album"])["name"] != "A Show" {
		t.Errorf("episode without additional_types = %v", legacy)
	}
	withEp := list(t, getObj(t, srv.APIURL()+"/playlists/mix/items?additional_types=track,episode", token)["items"])
	ep := obj(t, obj(t, withEp[2])["item"])
	if ep["type"] != "episode" || obj(t, ep["show"])["id"] != "show1" || ep["album"] != nil {
		t.Errorf("episode = %v", ep)
	}

	null := obj(t, items[3])
	if v, ok := null["item"]; !ok || v != nil {
		t.Errorf("null entry = %v", null)
	}
	old := obj(t, items[4])
	if old["added_at"] != nil || old["added_by"] != nil {
		t.Errorf("entry with no date = %v", old)
	}
}

func TestPlaylistItemsPaging(t *testing.T) {
	srv := newServer(t)
	srv.AddPlaylist(spotifytest.Playlist{ID: "big", Name: "Big", Items: tracks(120)})
	token, _ := srv.IssueTokens()

	var uris []string
	next := srv.APIURL() + "/playlists/big/items?limit=50&additional_types=episode"
	for next != "" {
		p := getObj(t, next, token)
		for _, e := range list(t, p["items"]) {
			uris = append(uris, obj(t, obj(t, e)["item"])["uri"].(string))
		}
		next, _ = p["next"].(string)
		if next != "" && !strings.Contains(next, "additional_types=episode") {
			t.Errorf("next %q lost the client's parameters", next)
		}
	}
	if len(uris) != 120 || uris[0] != "spotify:track:ta" {
		t.Errorf("got %d entries", len(uris))
	}

	past := getObj(t, srv.APIURL()+"/playlists/big/items?offset=500", token)
	if len(list(t, past["items"])) != 0 || past["next"] != nil || past["offset"] != 500.0 {
		t.Errorf("past the end = %v", past)
	}
}

func TestFullPlaylist(t *testing.T) {
	srv := newServer(t)
	srv.AddPlaylist(spotifytest.Playlist{ID: "big", Name: "Big", Items: tracks(60)})
	srv.AddPlaylist(spotifytest.Playlist{ID: "top", Name: "Top Hits", OwnerID: "spotify", OwnerName: "Spotify", Items: tracks(5), Forbidden: true})
	token, _ := srv.IssueTokens()

	p := getObj(t, srv.APIURL()+"/playlists/big", token)
	pg := obj(t, p["items"])
	if p["type"] != "playlist" || pg["total"] != 60.0 || len(list(t, pg["items"])) != 50 {
		t.Errorf("playlist = %v", keys(p))
	}
	next, _ := pg["next"].(string)
	if rest := getObj(t, next, token); len(list(t, rest["items"])) != 10 {
		t.Errorf("next page of the embedded list: %v", rest)
	}

	top := getObj(t, srv.APIURL()+"/playlists/top", token)
	if _, ok := top["items"]; ok || top["name"] != "Top Hits" {
		t.Errorf("forbidden playlist should have metadata only: %v", keys(top))
	}
	status, body, _ := get(t, srv.APIURL()+"/playlists/top/items", token)
	wantAPIError(t, status, body, 403, "Forbidden")

	status, body, _ = get(t, srv.APIURL()+"/playlists/nope", token)
	wantAPIError(t, status, body, 404, "not found")
	status, body, _ = get(t, srv.APIURL()+"/playlists/nope/items", token)
	wantAPIError(t, status, body, 404, "not found")
}

func TestOldTracksRouteIsForbidden(t *testing.T) {
	srv := newServer(t)
	srv.AddPlaylist(spotifytest.Playlist{ID: "p", Name: "P", Items: tracks(2)})
	token, _ := srv.IssueTokens()
	status, body, _ := get(t, srv.APIURL()+"/playlists/p/tracks", token)
	wantAPIError(t, status, body, 403, "Forbidden")
}

func TestLikedSongs(t *testing.T) {
	srv := newServer(t)
	srv.SetLiked(append(tracks(30), spotifytest.Item{AddedAt: added, Local: &spotifytest.LocalFile{Name: "x"}}))
	token, _ := srv.IssueTokens()

	p := getObj(t, srv.APIURL()+"/me/tracks?limit=25&offset=25", token)
	items := list(t, p["items"])
	if p["total"] != 30.0 || len(items) != 5 || p["next"] != nil {
		t.Fatalf("page = %v", p)
	}
	saved := obj(t, items[0])
	if got := keys(saved); !slices.Equal(got, []string{"added_at", "track"}) {
		t.Errorf("saved track keys %v", got)
	}
	tr := obj(t, saved["track"])
	if _, ok := tr["episode"]; ok || tr["type"] != "track" {
		t.Errorf("saved track = %v", keys(tr))
	}

	noLibrary, _ := srv.IssueTokens("playlist-read-private")
	status, body, _ := get(t, srv.APIURL()+"/me/tracks", noLibrary)
	wantAPIError(t, status, body, 403, "Insufficient client scope")
}

func TestSnapshotFollowsContent(t *testing.T) {
	srv := newServer(t)
	srv.AddPlaylist(spotifytest.Playlist{ID: "p", Name: "P", Items: tracks(3)})
	srv.AddPlaylist(spotifytest.Playlist{ID: "q", Name: "Q", Items: tracks(3), SnapshotID: "fixed"})
	before, _ := srv.Playlist("p")
	if !srv.UpdatePlaylist(spotifytest.Playlist{ID: "p", Name: "P", Items: tracks(4)}) {
		t.Fatal("update failed")
	}
	after, _ := srv.Playlist("p")
	if before.SnapshotID == after.SnapshotID || len(after.Items) != 4 {
		t.Errorf("snapshot did not change: %q", after.SnapshotID)
	}
	if q, _ := srv.Playlist("q"); q.SnapshotID != "fixed" {
		t.Errorf("given snapshot replaced: %q", q.SnapshotID)
	}
	if srv.UpdatePlaylist(spotifytest.Playlist{ID: "zzz"}) {
		t.Error("updated a missing playlist")
	}

	token, _ := srv.IssueTokens()
	if !srv.RemovePlaylist("p") || srv.RemovePlaylist("p") {
		t.Error("remove")
	}
	p := getObj(t, srv.APIURL()+"/me/playlists", token)
	if p["total"] != 1.0 {
		t.Errorf("after remove: %v", p)
	}
	status, _, _ := get(t, srv.APIURL()+"/playlists/p/items", token)
	if status != http.StatusNotFound {
		t.Errorf("removed playlist: %d", status)
	}
}

func TestUnknownRoute(t *testing.T) {
	srv := newServer(t)
	status, body, _ := get(t, srv.APIURL()+"/nothing", "")
	wantAPIError(t, status, body, 404, "Service not found")
}
