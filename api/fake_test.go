package api

import (
	"context"
	gosync "sync"
	"time"

	"github.com/tapedeck/tapedeck/cache"
)

// fakeBackend records every call by name; a nil function field returns the
// zero value. Security tests assert that a refused request made no call.
type fakeBackend struct {
	mu    gosync.Mutex
	calls []string
	args  []any

	StatusFunc    func() Status
	ErrFunc       func(method string) error // error for every method that returns one
	QueueFunc     func() Queue
	PlaylistsFunc func() []cache.Playlist
	PlaylistFunc  func(ref string) (cache.Playlist, []cache.PlaylistItem, error)
	TracksFunc    func(q string, limit int) []cache.LocalTrack
	MissingFunc   func(ref string) []cache.MissingTrack
	SubscribeFunc func() (<-chan Event, func())
}

func (f *fakeBackend) record(name string, arg any) error {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	f.args = append(f.args, arg)
	f.mu.Unlock()
	if f.ErrFunc != nil {
		return f.ErrFunc(name)
	}
	return nil
}

// Calls returns the names of the methods called so far.
func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) lastArg() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.args) == 0 {
		return nil
	}
	return f.args[len(f.args)-1]
}

func (f *fakeBackend) Status(ctx context.Context) Status {
	f.record("Status", nil)
	if f.StatusFunc != nil {
		return f.StatusFunc()
	}
	return Status{State: "stopped", Source: "none", Index: -1, Repeat: "off", Spotify: SpotifyStatus{Connectivity: "not_linked"}}
}

func (f *fakeBackend) Play(ctx context.Context, req PlayRequest) error { return f.record("Play", req) }
func (f *fakeBackend) Pause(ctx context.Context) error                 { return f.record("Pause", nil) }
func (f *fakeBackend) Resume(ctx context.Context) error                { return f.record("Resume", nil) }
func (f *fakeBackend) Stop(ctx context.Context) error                  { return f.record("Stop", nil) }
func (f *fakeBackend) Next(ctx context.Context) error                  { return f.record("Next", nil) }
func (f *fakeBackend) Previous(ctx context.Context) error              { return f.record("Previous", nil) }
func (f *fakeBackend) Seek(ctx context.Context, ms int64) error        { return f.record("Seek", ms) }
func (f *fakeBackend) SetVolume(ctx context.Context, v int) error      { return f.record("SetVolume", v) }
func (f *fakeBackend) SetShuffle(ctx context.Context, on bool) error {
	return f.record("SetShuffle", on)
}
func (f *fakeBackend) SetRepeat(ctx context.Context, m string) error { return f.record("SetRepeat", m) }
func (f *fakeBackend) SetQueue(ctx context.Context, req PlayRequest) error {
	return f.record("SetQueue", req)
}

func (f *fakeBackend) Queue(ctx context.Context) (Queue, error) {
	return f.queue("Queue", nil)
}

func (f *fakeBackend) AddToQueue(ctx context.Context, req QueueAddRequest) (Queue, error) {
	return f.queue("AddToQueue", req)
}

func (f *fakeBackend) RemoveFromQueue(ctx context.Context, i int) (Queue, error) {
	return f.queue("RemoveFromQueue", i)
}

func (f *fakeBackend) MoveInQueue(ctx context.Context, from, to int) (Queue, error) {
	return f.queue("MoveInQueue", [2]int{from, to})
}

// queue records a call that answers with the queue.
func (f *fakeBackend) queue(name string, arg any) (Queue, error) {
	err := f.record(name, arg)
	if f.QueueFunc != nil {
		return f.QueueFunc(), err
	}
	return Queue{Index: -1}, err
}

func (f *fakeBackend) Playlists(ctx context.Context) ([]cache.Playlist, error) {
	err := f.record("Playlists", nil)
	if f.PlaylistsFunc != nil {
		return f.PlaylistsFunc(), err
	}
	return nil, err
}

func (f *fakeBackend) Playlist(ctx context.Context, ref string) (cache.Playlist, []cache.PlaylistItem, error) {
	if err := f.record("Playlist", ref); err != nil {
		return cache.Playlist{}, nil, err
	}
	if f.PlaylistFunc != nil {
		return f.PlaylistFunc(ref)
	}
	return cache.Playlist{ID: ref}, nil, nil
}

func (f *fakeBackend) Tracks(ctx context.Context, q string, limit int) ([]cache.LocalTrack, error) {
	err := f.record("Tracks", [2]any{q, limit})
	if f.TracksFunc != nil {
		return f.TracksFunc(q, limit), err
	}
	return nil, err
}

func (f *fakeBackend) Outages(ctx context.Context) ([]Outage, error) {
	err := f.record("Outages", nil)
	return []Outage{{Start: time.Date(2026, 11, 22, 14, 2, 0, 0, time.UTC), Cause: "connection refused"}}, err
}

func (f *fakeBackend) Missing(ctx context.Context, ref string) ([]cache.MissingTrack, error) {
	err := f.record("Missing", ref)
	if f.MissingFunc != nil {
		return f.MissingFunc(ref), err
	}
	return nil, err
}

func (f *fakeBackend) SetMatch(ctx context.Context, id, kind, path string) (MatchInfo, error) {
	err := f.record("SetMatch", [3]string{id, kind, path})
	m := MatchInfo{SpotifyID: id, Method: kind}
	if path != "" {
		m.LocalPath = &path
	}
	return m, err
}

func (f *fakeBackend) ResetMatch(ctx context.Context, id string) (MatchInfo, error) {
	return MatchInfo{SpotifyID: id, Method: "none"}, f.record("ResetMatch", id)
}

func (f *fakeBackend) StartSync(ctx context.Context) error { return f.record("StartSync", nil) }
func (f *fakeBackend) StartScan(ctx context.Context) error { return f.record("StartScan", nil) }

func (f *fakeBackend) Subscribe() (<-chan Event, func()) {
	f.record("Subscribe", nil)
	if f.SubscribeFunc != nil {
		return f.SubscribeFunc()
	}
	ch := make(chan Event)
	var once gosync.Once
	return ch, func() { once.Do(func() { close(ch) }) }
}
