// Command benchserve serves the API over a canned backend, so bench/api.sh
// can measure the HTTP layer before (or beside) the real daemon. It reads
// TAPEDECK_HTTP_LISTEN and serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/cache"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := api.New(backend{}, api.Options{Listen: os.Getenv("TAPEDECK_HTTP_LISTEN"), Version: "benchserve"})
	if err == nil {
		err = s.Run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserve:", err)
		os.Exit(1)
	}
}

var since = time.Date(2026, 11, 22, 20, 5, 0, 0, time.UTC)

// backend answers Status with a local track playing during an outage;
// everything else is refused.
type backend struct{}

var errNo = errors.New("benchserve: not implemented")

func (backend) Status(context.Context) api.Status {
	return api.Status{
		State: "playing", Source: "local", PositionMs: time.Since(since).Milliseconds() % 354_000, Index: 12, Volume: 80, Repeat: "off",
		Track: &api.TrackInfo{SpotifyID: "4uLU6hMCjMI75M1A2tKUQC", Title: "Bohemian Rhapsody", Artists: []string{"Queen"},
			Album: "A Night at the Opera", DurationMs: 354_000, LocalPath: "/home/me/Music/Queen/A Night at the Opera/11 Bohemian Rhapsody.flac"},
		Playlist: &api.PlaylistRef{ID: "37i9dQZF1DXcBWIGoYBM5M", Name: "Road trip"},
		Spotify:  api.SpotifyStatus{Connectivity: "offline", Since: &since, LastError: "dial tcp: connection refused", LastSync: &since},
		Library:  api.LibraryStatus{Tracks: 2000, LastScan: &since},
	}
}

func (backend) Play(context.Context, api.PlayRequest) error     { return errNo }
func (backend) Pause(context.Context) error                     { return errNo }
func (backend) Resume(context.Context) error                    { return errNo }
func (backend) Stop(context.Context) error                      { return errNo }
func (backend) Next(context.Context) error                      { return errNo }
func (backend) Previous(context.Context) error                  { return errNo }
func (backend) Seek(context.Context, int64) error               { return errNo }
func (backend) SetVolume(context.Context, int) error            { return errNo }
func (backend) SetShuffle(context.Context, bool) error          { return errNo }
func (backend) SetRepeat(context.Context, string) error         { return errNo }
func (backend) Queue(context.Context) (api.Queue, error)        { return api.Queue{}, errNo }
func (backend) SetQueue(context.Context, api.PlayRequest) error { return errNo }
func (backend) AddToQueue(context.Context, api.QueueAddRequest) (api.Queue, error) {
	return api.Queue{}, errNo
}
func (backend) RemoveFromQueue(context.Context, int) (api.Queue, error)  { return api.Queue{}, errNo }
func (backend) MoveInQueue(context.Context, int, int) (api.Queue, error) { return api.Queue{}, errNo }
func (backend) Playlists(context.Context) ([]cache.Playlist, error) {
	return nil, errNo
}
func (backend) Playlist(context.Context, string) (cache.Playlist, []cache.PlaylistItem, error) {
	return cache.Playlist{}, nil, errNo
}
func (backend) Tracks(context.Context, string, int) ([]cache.LocalTrack, error) { return nil, errNo }
func (backend) Missing(context.Context, string) ([]cache.MissingTrack, error)   { return nil, errNo }
func (backend) Outages(context.Context) ([]api.Outage, error)                   { return nil, nil }
func (backend) SetMatch(context.Context, string, string, string) (api.MatchInfo, error) {
	return api.MatchInfo{}, errNo
}
func (backend) ResetMatch(context.Context, string) (api.MatchInfo, error) {
	return api.MatchInfo{}, errNo
}
func (backend) StartSync(context.Context) error { return errNo }
func (backend) StartScan(context.Context) error { return errNo }
func (backend) Subscribe() (<-chan api.Event, func()) {
	ch := make(chan api.Event)
	return ch, func() {}
}
