package spotifytest_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	spotifyapi "github.com/zmb3/spotify/v2"
	"golang.org/x/oauth2"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// TestZmb3Player drives the fake's Connect player with zmb3/spotify/v2.
func TestZmb3Player(t *testing.T) {
	srv, clk, token := playerServer(t)
	ctx := context.Background()
	hc := oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
	client := spotifyapi.New(hc, spotifyapi.WithBaseURL(srv.APIURL()+"/"))

	devs, err := client.PlayerDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[0].ID != "laptop" || devs[0].Volume != 70 || devs[0].Active || devs[1].Type != "Speaker" {
		t.Errorf("devices %+v", devs)
	}
	// 204 with nothing active: zmb3 returns an empty state and no error.
	st, err := client.PlayerState(ctx)
	if err != nil || st.Device.ID != "" || st.Item != nil {
		t.Errorf("state with no device: %+v, %v", st, err)
	}
	var se spotifyapi.Error
	if err := client.Pause(ctx); !errors.As(err, &se) || se.Status != 404 || se.Message != "Player command failed: No active device found" {
		t.Errorf("pause with no device: %v", err)
	}

	laptop := spotifyapi.ID("laptop")
	mixURI := spotifyapi.URI("spotify:playlist:mix")
	err = client.PlayOpt(ctx, &spotifyapi.PlayOptions{DeviceID: &laptop, PlaybackContext: &mixURI,
		PlaybackOffset: &spotifyapi.PlaybackOffset{Position: ptrTo(1)}, PositionMs: 15000})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Second)
	st, err = client.PlayerState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Device.ID != "laptop" || !st.Device.Active || !st.Playing || st.Progress != 20000 || st.Item == nil ||
		st.Item.ID != "b" || st.Item.Album.ID != "albumb" || st.Item.ExternalIDs["isrc"] != "USABC0100001" ||
		st.PlaybackContext.URI != mixURI || st.PlaybackContext.Type != "playlist" || st.RepeatState != "off" ||
		st.Timestamp != start.UnixMilli() {
		t.Errorf("state %+v item %+v", st, st.Item)
	}

	if err := client.PlayOpt(ctx, &spotifyapi.PlayOptions{PlaybackContext: &mixURI,
		PlaybackOffset: &spotifyapi.PlaybackOffset{URI: "spotify:track:e"}}); err != nil {
		t.Fatal(err)
	}
	cp, err := client.PlayerCurrentlyPlaying(ctx)
	if err != nil || cp.Item == nil || cp.Item.ID != "e" || cp.Progress != 0 {
		t.Errorf("currently playing %+v, %v", cp, err)
	}
	if err := client.Previous(ctx); err != nil {
		t.Fatal(err)
	}
	if err := client.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if err := client.Seek(ctx, 40000); err != nil {
		t.Fatal(err)
	}
	if err := client.Volume(ctx, 12); err != nil {
		t.Fatal(err)
	}
	if err := client.Repeat(ctx, "context"); err != nil {
		t.Fatal(err)
	}
	if err := client.Shuffle(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := client.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if s := srv.PlayerState(); s.ItemURI != "spotify:track:e" || s.Progress != 40*time.Second || s.IsPlaying ||
		s.VolumePercent != 12 || s.Repeat != "context" || !s.Shuffle {
		t.Errorf("after commands: %+v", s)
	}
	if err := client.Play(ctx); err != nil { // resume
		t.Fatal(err)
	}

	q, err := client.GetQueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q.CurrentlyPlaying.ID != "e" || len(q.Items) != 3 { // repeat context: the other three, wrapping
		t.Errorf("queue %v then %d", q.CurrentlyPlaying.ID, len(q.Items))
	}

	if err := client.TransferPlayback(ctx, "speaker", true); err != nil {
		t.Fatal(err)
	}
	st, err = client.PlayerState(ctx)
	if err != nil || st.Device.ID != "speaker" || !st.Playing || st.ShuffleState != true {
		t.Errorf("after transfer %+v, %v", st, err)
	}
	if err := client.Volume(ctx, 50); !errors.As(err, &se) || se.Status != 403 {
		t.Errorf("volume on a fixed-volume speaker: %v", err)
	}

	// Spotify unreachable: zmb3 returns the dial error as it is.
	if err := srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PlayerState(ctx); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("state during refuse: %v", err)
	}
	if err := srv.EndOutage(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PlayerState(ctx); err != nil {
		t.Errorf("state after refuse: %v", err)
	}

	srv.RemoveDevice("speaker")
	st, err = client.PlayerState(ctx)
	if err != nil || st.Device.ID != "" {
		t.Errorf("device gone: %+v, %v", st.Device, err)
	}
	if err := client.Next(ctx); !errors.As(err, &se) || se.Status != 404 {
		t.Errorf("next with no device: %v", err)
	}
	if s := srv.PlayerState(); s.DeviceID != "" || s.IsPlaying || s.ItemURI != "spotify:track:e" {
		t.Errorf("after removing the device: %+v", s)
	}
}

func ptrTo[T any](v T) *T { return &v }
