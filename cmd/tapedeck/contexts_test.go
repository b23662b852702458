package main

import (
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// rigTrack is the rig's track n (1–4), as the fake's catalogue has it.
func rigTrack(n int, trackMs int) spotifytest.Item {
	id := string(rune('0' + n))
	return spotifytest.Item{AddedAt: time.Now(), Track: sp("t"+id, "Song "+id, "Artist", "Album", trackMs, "GBAAA000000"+id)}
}

func queueOf(t testing.TB, c *cli) api.Queue {
	t.Helper()
	var q api.Queue
	c.mustRunJSON(&q, "queue", "--json")
	return q
}

// wantNear fails unless got is within tol of want.
func wantNear(t testing.TB, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s %s, want %s ±%s", what, got, want, tol)
	}
}

// TestLikedSongsOnSpotify: Liked Songs has no context in the Web API (the
// collection URI is refused), so tapedeck starts it as a list of tracks,
// knows a poll with no context is still its Liked Songs, fails over into
// their local copies and hands back the same way.
func TestLikedSongsOnSpotify(t *testing.T) {
	r := newConnectRigWith(t, 30000, "immediately", func(s *spotifytest.Server) {
		s.SetLiked([]spotifytest.Item{rigTrack(3, 30000), rigTrack(4, 30000), rigTrack(1, 30000)})
	})
	r.c.mustRun("play", "Liked Songs")
	eventually(t, "Spotify playing Liked Songs", func() bool {
		st := statusOf(t, r.c)
		return st.Source == "spotify" && st.State == "playing" && st.Track != nil && st.Track.SpotifyID == "t3"
	})
	if ps := r.srv.PlayerState(); ps.ContextURI != "" || ps.ItemURI != "spotify:track:t3" {
		t.Fatalf("Spotify plays %+v, want t3 from a list of tracks", ps)
	}
	// Shuffle and repeat act on Spotify while it plays.
	r.c.mustRun("shuffle", "on")
	r.c.mustRun("repeat", "all")
	if ps := r.srv.PlayerState(); !ps.Shuffle || ps.Repeat != "context" {
		t.Errorf("Spotify after shuffle on, repeat all: shuffle %v, repeat %q", ps.Shuffle, ps.Repeat)
	}
	if st := statusOf(t, r.c); !st.Shuffle || st.Repeat != "all" {
		t.Errorf("status while Spotify plays: shuffle %v, repeat %q; want Spotify's (on, all)", st.Shuffle, st.Repeat)
	}
	time.Sleep(1500 * time.Millisecond)
	at, cut := r.srv.PlayerState().Progress, time.Now()
	r.srv.Outage(spotifytest.Outage{Kind: spotifytest.OutageRefuse})
	eventually(t, "the fail-over", func() bool { return statusOf(t, r.c).Source == "local" })
	st := statusOf(t, r.c)
	if st.Track == nil || st.Track.SpotifyID != "t3" || st.Playlist == nil || st.Playlist.Name != "Liked Songs" {
		t.Fatalf("after the fail-over: track %+v, playlist %+v; want t3 in Liked Songs", st.Track, st.Playlist)
	}
	wantNear(t, "local position", time.Duration(st.PositionMs)*time.Millisecond, at+time.Since(cut), time.Second)
	if q := queueOf(t, r.c); len(q.Entries) != 3 {
		t.Errorf("queue has %d entries, want the 3 liked tracks with copies", len(q.Entries))
	}
	if !st.Shuffle || st.Repeat != "all" {
		t.Errorf("local playback after the fail-over: shuffle %v, repeat %q; want Spotify's (on, all)", st.Shuffle, st.Repeat)
	}

	r.srv.EndOutage()
	eventually(t, "the hand-back", func() bool { return statusOf(t, r.c).Source == "spotify" })
	if ps := r.srv.PlayerState(); ps.ItemURI != "spotify:track:t3" || !ps.IsPlaying || ps.ContextURI != "" {
		t.Errorf("Spotify after the hand-back: %+v, want t3 playing from a list of tracks", ps)
	}
}

// TestFailoverOutsideSyncedPlaylists: tapedeck played a playlist, then the
// listener started an album from their phone. The outage must not replay
// the old playlist: tapedeck plays its copy of the album's current track
// alone, and hands back to the album at the same track and position as
// soon as Spotify is steady (even with track_end: the album's next track
// is Spotify's to know).
func TestFailoverOutsideSyncedPlaylists(t *testing.T) {
	r := newConnectRigWith(t, 30000, "track_end", func(s *spotifytest.Server) {
		s.AddAlbum("alb", []spotifytest.Item{rigTrack(4, 30000), rigTrack(3, 30000)})
	})
	r.playOnSpotify(0)
	if err := r.srv.SetPlaying(spotifytest.Playback{AlbumID: "alb", Index: 1}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the status to follow the album", func() bool {
		st := statusOf(t, r.c)
		return st.Track != nil && st.Track.SpotifyID == "t3"
	})
	time.Sleep(1500 * time.Millisecond)
	at, cut := r.srv.PlayerState().Progress, time.Now()
	r.srv.Outage(spotifytest.Outage{Kind: spotifytest.Outage503})
	eventually(t, "the fail-over", func() bool { return statusOf(t, r.c).Source == "local" })
	st := statusOf(t, r.c)
	if st.Track == nil || st.Track.SpotifyID != "t3" || st.State != "playing" || st.Playlist != nil {
		t.Fatalf("after the fail-over: track %+v, playlist %+v, %s; want t3 alone, playing", st.Track, st.Playlist, st.State)
	}
	wantNear(t, "local position", time.Duration(st.PositionMs)*time.Millisecond, at+time.Since(cut), time.Second)
	if q := queueOf(t, r.c); len(q.Entries) != 1 {
		t.Errorf("queue = %+v, want the one copy (not the old playlist)", q.Entries)
	}

	r.srv.EndOutage()
	eventually(t, "the hand-back", func() bool { return statusOf(t, r.c).Source == "spotify" })
	handed := time.Now()
	ps := r.srv.PlayerState()
	if ps.ContextURI != "spotify:album:alb" || ps.ItemURI != "spotify:track:t3" || !ps.IsPlaying {
		t.Fatalf("Spotify after the hand-back: %+v, want the album at t3", ps)
	}
	// Where the local copy was: the fail-over's start plus the time since.
	wantNear(t, "Spotify's position after the hand-back", ps.Progress, at+handed.Sub(cut), 1500*time.Millisecond)
	eventually(t, "the status to follow the album again", func() bool {
		st := statusOf(t, r.c)
		return st.State == "playing" && st.Track != nil && st.Track.SpotifyID == "t3"
	})
}
