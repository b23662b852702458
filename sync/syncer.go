package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/tapedeck/tapedeck/cache"
)

// Page sizes: the most each endpoint returns per request.
const (
	playlistsPageSize = 50
	likedPageSize     = 50
	itemsPageSize     = 50
)

// Result says what a sync did.
type Result struct {
	Playlists  int             `json:"playlists"`  // in the account, Liked Songs included
	Fetched    int             `json:"fetched"`    // whose items were fetched (new or changed)
	Unchanged  int             `json:"unchanged"`  // same snapshot: not fetched
	Removed    int             `json:"removed"`    // gone from the account
	Unreadable int             `json:"unreadable"` // Spotify refuses their items (403)
	Failed     int             `json:"failed"`     // could not be fetched; the previous copy is kept
	Items      int             `json:"items"`      // entries fetched
	Requests   int64           `json:"requests"`   // HTTP requests, retries included
	Errors     []PlaylistError `json:"errors"`
}

// PlaylistError is a playlist that could not be synced, or is unreadable.
type PlaylistError struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Error string `json:"error"`
}

// Syncer copies the listener's playlists and Liked Songs into the cache.
type Syncer struct {
	client *Client
	store  *cache.Store

	// Concurrency bounds how many playlists are fetched at once.
	Concurrency int
	Logger      *slog.Logger
}

// NewSyncer returns a syncer from client into store.
func NewSyncer(client *Client, store *cache.Store) *Syncer {
	return &Syncer{client: client, store: store, Concurrency: 4, Logger: slog.New(slog.DiscardHandler)}
}

// Sync brings the cache in step with the account. A playlist whose
// snapshot_id is unchanged is not fetched again; Liked Songs is fetched
// again only when its total or newest entry changed. Each playlist is
// replaced in one transaction, so a failure leaves its previous version
// whole. Playlists are dropped only after the account's list was read in
// full.
func (s *Syncer) Sync(ctx context.Context) (res Result, err error) {
	res.Errors = []PlaylistError{}
	start := s.client.Requests()
	defer func() { res.Requests = s.client.Requests() - start }()

	lists, err := s.listPlaylists(ctx)
	if err != nil {
		return res, err
	}
	stored, err := s.store.Playlists(ctx)
	if err != nil {
		return res, err
	}
	known := map[string]cache.Playlist{}
	for _, p := range stored {
		known[p.ID] = p
	}
	res.Playlists = len(lists) + 1

	var mu gosync.Mutex
	record := func(o outcome) {
		mu.Lock()
		defer mu.Unlock()
		o.apply(&res)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(s.Concurrency, 1))
	g.Go(func() error { record(s.syncLiked(gctx, known[cache.LikedID])); return nil })
	for i, ap := range lists {
		g.Go(func() error { record(s.syncPlaylist(gctx, i, ap, known)); return nil })
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}

	keep := []string{cache.LikedID}
	for _, ap := range lists {
		keep = append(keep, ap.ID)
	}
	if res.Removed, err = s.store.DeletePlaylistsExcept(ctx, keep); err != nil {
		return res, err
	}
	sort.Slice(res.Errors, func(i, j int) bool { return res.Errors[i].Name < res.Errors[j].Name })
	return res, nil
}

// outcome is one playlist's part of the Result.
type outcome struct {
	fetched, unchanged, unreadable, failed bool
	items                                  int
	err                                    *PlaylistError
}

func (o outcome) apply(r *Result) {
	switch {
	case o.fetched:
		r.Fetched++
	case o.unchanged:
		r.Unchanged++
	case o.unreadable:
		r.Unreadable++
	case o.failed:
		r.Failed++
	}
	r.Items += o.items
	if o.err != nil {
		r.Errors = append(r.Errors, *o.err)
	}
}

func (s *Syncer) listPlaylists(ctx context.Context) ([]apiPlaylist, error) {
	var out []apiPlaylist
	next := "/me/playlists?limit=" + strconv.Itoa(playlistsPageSize)
	for next != "" {
		var pg page[apiPlaylist]
		if err := s.client.get(ctx, next, &pg); err != nil {
			return nil, fmt.Errorf("list playlists: %w", err)
		}
		for _, p := range pg.Items {
			if p.ID != "" { // Spotify sometimes sends null entries
				out = append(out, p)
			}
		}
		next = deref(pg.Next)
	}
	return out, nil
}

func (s *Syncer) syncPlaylist(ctx context.Context, pos int, ap apiPlaylist, known map[string]cache.Playlist) outcome {
	p := cache.Playlist{
		ID: ap.ID, Kind: "playlist", Name: ap.Name, OwnerID: ap.Owner.ID, OwnerName: ap.Owner.DisplayName,
		SnapshotID: ap.SnapshotID, Collaborative: ap.Collaborative, Public: ap.Public, Position: pos,
		Total: ap.total(), Readable: true,
	}
	old, seen := known[ap.ID]
	if seen && old.Readable && old.SnapshotID == ap.SnapshotID && !old.SyncedAt.IsZero() {
		if old.Name != p.Name || old.Position != p.Position || old.Total != p.Total || old.OwnerName != p.OwnerName {
			if err := s.store.SavePlaylist(ctx, p); err != nil {
				return s.failed(p, err)
			}
		}
		return outcome{unchanged: true}
	}
	items, err := s.fetchItems(ctx, "/playlists/"+url.PathEscape(ap.ID)+"/items?additional_types=track,episode&limit="+strconv.Itoa(itemsPageSize), 0)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
		// Development-mode apps may read only playlists the listener owns
		// or collaborates on. Keep what we had; say why.
		p.Readable = false
		p.Unreadable = "Spotify refuses to list its items (403: " + apiErr.Message + "); development-mode apps can read only playlists you own or collaborate on"
		p.SnapshotID = old.SnapshotID // not fetched: do not claim this snapshot
		if err := s.store.SavePlaylist(ctx, p); err != nil {
			return s.failed(p, err)
		}
		return outcome{unreadable: true, err: &PlaylistError{ID: p.ID, Name: p.Name, Error: p.Unreadable}}
	}
	if err != nil {
		return s.failed(p, err)
	}
	if err := s.store.ReplacePlaylist(ctx, p, items); err != nil {
		return s.failed(p, err)
	}
	return outcome{fetched: true, items: len(items)}
}

func (s *Syncer) failed(p cache.Playlist, err error) outcome {
	s.Logger.Warn("playlist not synced; keeping the previous copy", "playlist", p.Name, "id", p.ID, "err", err)
	return outcome{failed: true, err: &PlaylistError{ID: p.ID, Name: p.Name, Error: err.Error()}}
}

// syncLiked reads the first page of Liked Songs (newest first) and reads the
// rest only if the total or the newest entry changed.
func (s *Syncer) syncLiked(ctx context.Context, old cache.Playlist) outcome {
	p := cache.Playlist{ID: cache.LikedID, Kind: "liked", Name: "Liked Songs", Readable: true}
	var first page[apiEntry]
	if err := s.client.get(ctx, "/me/tracks?limit="+strconv.Itoa(likedPageSize), &first); err != nil {
		return s.failed(p, err)
	}
	p.Total = first.Total
	if len(first.Items) > 0 {
		p.NewestAddedAt = first.Items[0].AddedAt
	}
	if !old.SyncedAt.IsZero() && old.Total == p.Total && old.NewestAddedAt == p.NewestAddedAt {
		return outcome{unchanged: true}
	}
	items := convert(first.Items, 0)
	if first.Next != nil {
		rest, err := s.fetchItems(ctx, *first.Next, len(items))
		if err != nil {
			return s.failed(p, err)
		}
		items = append(items, rest...)
	}
	if err := s.store.ReplacePlaylist(ctx, p, items); err != nil {
		return s.failed(p, err)
	}
	return outcome{fetched: true, items: len(items)}
}

// fetchItems follows a paging object from ref to its end.
func (s *Syncer) fetchItems(ctx context.Context, ref string, pos int) ([]cache.PlaylistItem, error) {
	var out []cache.PlaylistItem
	for ref != "" {
		var pg page[apiEntry]
		if err := s.client.get(ctx, ref, &pg); err != nil {
			return nil, err
		}
		out = append(out, convert(pg.Items, pos+len(out))...)
		ref = deref(pg.Next)
	}
	return out, nil
}

func convert(entries []apiEntry, pos int) []cache.PlaylistItem {
	out := make([]cache.PlaylistItem, 0, len(entries))
	for i, e := range entries {
		it := cache.PlaylistItem{Position: pos + i, AddedAt: e.AddedAt, Track: e.track()}
		if e.AddedBy != nil {
			it.AddedBy = e.AddedBy.ID
		}
		out = append(out, it)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
