package match

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/tapedeck/tapedeck/cache"
)

// RulesVersion identifies the matcher's keys and rules. Bump it when
// they change: the next rematch then recomputes every key and match.
const RulesVersion = 1

const rulesVersionKey = "match_rules_version"

// Rematcher keeps the matches stored in the cache in step with the library
// and the playlists. The store records what changed (by triggers); Run
// looks only at the Spotify tracks that changed or that share a lookup key
// with a local file that changed, and scores them against the files that
// share one of their keys. All I/O is here; the scoring is Index's.
type Rematcher struct {
	store *cache.Store

	Options Options
	Logger  *slog.Logger
}

// NewRematcher returns a rematcher over store.
func NewRematcher(store *cache.Store) *Rematcher {
	return &Rematcher{store: store, Logger: slog.New(slog.DiscardHandler)}
}

// RematchResult counts what a rematch did.
type RematchResult struct {
	Checked   int   `json:"checked"`   // Spotify tracks looked at
	Matched   int   `json:"matched"`   // of those, with a local copy
	Unmatched int   `json:"unmatched"` // of those, without
	Changed   int   `json:"changed"`   // whose match changed
	TookMs    int64 `json:"took_ms"`
}

// Run rematches what changed since the last run; with all, every track.
func (m *Rematcher) Run(ctx context.Context, all bool) (RematchResult, error) {
	start := time.Now()
	var res RematchResult
	stored, err := m.store.Meta(ctx, rulesVersionKey)
	if err != nil {
		return res, err
	}
	// New rules mean new keys for every file; otherwise only files that
	// changed get new keys, even when every track is rematched.
	rulesChanged := stored != strconv.Itoa(RulesVersion)
	if rulesChanged {
		if err := m.store.MarkAllDirty(ctx); err != nil {
			return res, err
		}
	}
	all = all || rulesChanged
	dirtyLocals, err := m.store.DirtyLocalTracks(ctx)
	if err != nil {
		return res, err
	}
	keys := cache.MatchKeys{All: rulesChanged, Local: map[int64][]string{}, Remote: map[string][]string{}}
	var changedKeys []string
	for _, t := range dirtyLocals {
		l, ok := ToLocal(t)
		var k []string
		if ok {
			k = LocalKeys(l)
		}
		keys.Local[t.ID] = k
		changedKeys = append(changedKeys, k...)
	}
	var ids []string
	if all {
		ids, err = m.store.AllSpotifyIDs(ctx)
	} else {
		ids, err = m.affected(ctx, changedKeys)
	}
	if err != nil {
		return res, err
	}
	tracks, err := m.store.SpotifyTracks(ctx, ids)
	if err != nil {
		return res, err
	}
	remotes := make([]Remote, len(tracks))
	var remoteKeys []string
	for i, t := range tracks {
		remotes[i] = ToRemote(t)
		keys.Remote[t.ID] = RemoteKeys(remotes[i])
		remoteKeys = append(remoteKeys, keys.Remote[t.ID]...)
	}
	if err := m.store.SaveMatchKeys(ctx, keys); err != nil {
		return res, err
	}
	overrides, err := m.overrides(ctx, ids)
	if err != nil {
		return res, err
	}
	var ix *Index
	switch {
	case rulesChanged:
		ix = NewIndex(playable(dirtyLocals), m.Options) // every file is dirty
	case all:
		everything, err := m.store.AllLocalTracks(ctx)
		if err != nil {
			return res, err
		}
		ix = NewIndex(playable(everything), m.Options)
	default:
		if ix, err = m.index(ctx, remoteKeys, overrides); err != nil {
			return res, err
		}
	}
	previous, err := m.store.Matches(ctx, ids)
	if err != nil {
		return res, err
	}
	saved := make([]cache.Match, 0, len(remotes))
	for _, r := range remotes {
		out := ix.Match(r, overrides[r.ID])
		cm := cache.Match{SpotifyID: r.ID, Method: out.Method, Score: out.Score}
		if out.Local != nil {
			cm.LocalID = out.Local.ID
			res.Matched++
		} else {
			res.Unmatched++
		}
		if previous[r.ID].LocalID != cm.LocalID {
			res.Changed++
		}
		saved = append(saved, cm)
	}
	if err := m.store.SaveMatches(ctx, saved); err != nil {
		return res, err
	}
	if rulesChanged {
		if err := m.store.SetMeta(ctx, rulesVersionKey, strconv.Itoa(RulesVersion)); err != nil {
			return res, err
		}
	}
	res.Checked = len(remotes)
	res.TookMs = time.Since(start).Milliseconds()
	m.Logger.Debug("rematch", "checked", res.Checked, "matched", res.Matched, "changed", res.Changed, "took", time.Since(start))
	return res, nil
}

// affected lists the Spotify tracks to rematch: the dirty ones and those
// sharing a key with a changed local file.
func (m *Rematcher) affected(ctx context.Context, changedKeys []string) ([]string, error) {
	dirty, err := m.store.DirtySpotifyIDs(ctx)
	if err != nil {
		return nil, err
	}
	sharing, err := m.store.SpotifyIDsByKeys(ctx, changedKeys)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, id := range append(dirty, sharing...) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// index builds an Index over the files that can match the tracks at hand:
// those sharing one of their keys, and those they are pinned to.
func (m *Rematcher) index(ctx context.Context, keys []string, ov map[string]Override) (*Index, error) {
	var pins []string
	for _, o := range ov {
		if o.Pin != "" {
			pins = append(pins, o.Pin)
		}
	}
	tracks, err := m.store.LocalTracksByKeys(ctx, keys, pins)
	if err != nil {
		return nil, err
	}
	return NewIndex(playable(tracks), m.Options), nil
}

func playable(tracks []cache.LocalTrack) []Local {
	out := make([]Local, 0, len(tracks))
	for _, t := range tracks {
		if l, ok := ToLocal(t); ok {
			out = append(out, l)
		}
	}
	return out
}

func (m *Rematcher) overrides(ctx context.Context, ids []string) (map[string]Override, error) {
	list, err := m.store.Overrides(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[string]Override{}
	for _, o := range list {
		cur := out[o.SpotifyID]
		switch o.Kind {
		case cache.OverridePin:
			cur.Pin = o.Path
		case cache.OverrideReject:
			cur.Rejected = append(cur.Rejected, o.Path)
		case cache.OverrideNone:
			cur.None = true
		}
		out[o.SpotifyID] = cur
	}
	return out, nil
}

// Explain shows how a synced Spotify track (id or URI) is matched: every
// candidate file, its score, and why it was taken or refused.
func (m *Rematcher) Explain(ctx context.Context, ref string) (cache.SpotifyTrack, Result, error) {
	t, err := m.store.SpotifyTrack(ctx, ref)
	if err != nil {
		return t, Result{}, err
	}
	r := ToRemote(t)
	ov, err := m.overrides(ctx, []string{t.ID})
	if err != nil {
		return t, Result{}, err
	}
	ix, err := m.index(ctx, RemoteKeys(r), ov)
	if err != nil {
		return t, Result{}, err
	}
	return t, ix.Explain(r, ov[t.ID]), nil
}

// ToLocal converts an indexed file for the matcher; ok is false for a file
// that cannot be played (its audio could not be read).
func ToLocal(t cache.LocalTrack) (Local, bool) {
	if t.DurationMs <= 0 && t.ParseError != "" {
		return Local{}, false
	}
	return Local{
		ID: t.ID, Path: t.Path, Format: t.Format, Codec: t.Codec, DurationMs: t.DurationMs,
		Title: t.Title, Artists: t.Artists, Album: t.Album, AlbumArtist: t.AlbumArtist,
		ISRC: t.ISRC, MBRecordingID: t.MBRecordingID, Unreadable: t.ParseError != "",
	}, true
}

// ToRemote converts a synced Spotify track for the matcher.
func ToRemote(t cache.SpotifyTrack) Remote {
	return Remote{
		ID: t.ID, Kind: t.Kind, Name: t.Name, Artists: cache.ArtistNames(t.Artists),
		Album: t.AlbumName, DurationMs: t.DurationMs, ISRC: t.ISRC,
	}
}
