package spotifytest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	spotifyapi "github.com/zmb3/spotify/v2"
	"golang.org/x/oauth2"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// TestZmb3Client checks that zmb3/spotify/v2, which tapedeck uses, decodes
// the fake's answers and follows its next URLs.
func TestZmb3Client(t *testing.T) {
	srv := newServer(t)
	srv.Keys = spotifytest.KeysBoth // zmb3 v2.4.3 reads only "tracks"
	for i := range 7 {
		srv.AddPlaylist(spotifytest.Playlist{ID: "pl" + string(rune('a'+i)), Name: "List", Items: tracks(i + 1)})
	}
	access, _ := srv.IssueTokens()
	ctx := context.Background()
	hc := oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access}))
	client := spotifyapi.New(hc, spotifyapi.WithBaseURL(srv.APIURL()+"/"))

	me, err := client.CurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != "tapedeck-user" || me.DisplayName != "Tapedeck Tester" {
		t.Errorf("user %+v", me.User)
	}

	page, err := client.CurrentUsersPlaylists(ctx, spotifyapi.Limit(5))
	if err != nil {
		t.Fatal(err)
	}
	got := len(page.Playlists)
	if page.Total != 7 || page.Playlists[2].Tracks.Total != 3 || page.Playlists[0].SnapshotID == "" ||
		page.Playlists[0].Owner.ID != "tapedeck-user" {
		t.Errorf("page %+v", page)
	}
	for {
		err := client.NextPage(ctx, page)
		if err == spotifyapi.ErrNoMorePages {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got += len(page.Playlists)
	}
	if got != 7 {
		t.Errorf("followed pages to %d playlists", got)
	}

	// zmb3 v2.4.3 still calls the pre-2026 route, which the fake refuses
	// as Spotify does.
	_, err = client.GetPlaylistItems(ctx, "pla")
	var se spotifyapi.Error
	if !errors.As(err, &se) || se.Status != 403 {
		t.Errorf("GetPlaylistItems error %v", err)
	}

	srv.ExpireAccessTokens()
	if _, err := client.CurrentUser(ctx); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
}
