package sync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gosync "sync"

	"golang.org/x/oauth2"

	"github.com/tapedeck/tapedeck/cache"
	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// env is a fake Spotify, a real database and a client logged in to the
// fake, with every log line captured.
type env struct {
	t      *testing.T
	srv    *spotifytest.Server
	store  *cache.Store
	tokens *TokenFile
	src    *TokenSource
	client *Client
	syncer *Syncer
	logs   *syncBuffer

	mu    gosync.Mutex
	waits []time.Duration // backoffs and Retry-After waits, not slept
}

type syncBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := spotifytest.New()
	t.Cleanup(srv.Close)
	srv.SetUser(spotifytest.User{ID: "listener", DisplayName: "Listener"})
	e := &env{t: t, srv: srv, logs: &syncBuffer{}}
	st, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "tapedeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	e.tokens = NewTokenFile(filepath.Join(t.TempDir(), "state"))
	return e
}

func (e *env) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// policy retries fast: waits are recorded, not slept.
func (e *env) policy() Retry {
	p := DefaultRetry()
	p.Attempts = 4
	p.Timeout = 300 * time.Millisecond
	p.MaxRetryAfter = 10 * time.Second
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.waits = append(e.waits, d)
		e.mu.Unlock()
		return ctx.Err()
	}
	return p
}

// login stores tokens the fake issued, as `tapedeck login` would, and
// builds the client and syncer.
func (e *env) login(expiry time.Time) {
	e.t.Helper()
	access, refresh := e.srv.IssueTokens()
	if err := e.tokens.Save(&oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: expiry}); err != nil {
		e.t.Fatal(err)
	}
	e.connect()
}

func (e *env) connect() {
	e.t.Helper()
	cfg := OAuthConfig(e.srv.ClientID, e.srv.AccountsURL(), "http://127.0.0.1:1/callback")
	src, err := NewTokenSource(context.Background(), cfg, e.tokens, e.logger())
	if err != nil {
		e.t.Fatal(err)
	}
	e.src = src
	c, err := NewClient(e.srv.APIURL(), src, e.policy(), e.logger())
	if err != nil {
		e.t.Fatal(err)
	}
	e.client = c
	e.syncer = NewSyncer(c, e.store)
	e.syncer.Logger = e.logger()
}

func (e *env) sync() Result {
	e.t.Helper()
	res, err := e.syncer.Sync(context.Background())
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return res
}

func (e *env) items(id string) []cache.PlaylistItem {
	e.t.Helper()
	items, err := e.store.PlaylistItems(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return items
}

func track(i int) *spotifytest.Track {
	return &spotifytest.Track{
		ID: fmt.Sprintf("trk%06d", i), Name: fmt.Sprintf("Song %d", i), DurationMs: 180_000 + i,
		Artists: []spotifytest.Artist{{ID: "art1", Name: "Artist One"}, {ID: "art2", Name: "Artist Two"}},
		Album:   spotifytest.Album{ID: "alb1", Name: "Album", ReleaseDate: "2001-05-01", Artists: []spotifytest.Artist{{ID: "art1", Name: "Artist One"}}},
		ISRC:    fmt.Sprintf("gbaye%07d", i), DiscNumber: 1, TrackNumber: i%12 + 1,
	}
}

func playlist(id string, n int) spotifytest.Playlist {
	p := spotifytest.Playlist{ID: id, Name: "Playlist " + id}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		p.Items = append(p.Items, spotifytest.Item{AddedAt: base.Add(time.Duration(i) * time.Hour), Track: track(i)})
	}
	return p
}

func liked(n int) []spotifytest.Item {
	var out []spotifytest.Item
	newest := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		out = append(out, spotifytest.Item{AddedAt: newest.Add(-time.Duration(i) * time.Hour), Track: track(10_000 + i)})
	}
	return out
}

func pages(items, size int) int { return (items + size - 1) / size }

func TestSyncStoresPlaylistsOfEverySize(t *testing.T) {
	for _, keys := range []spotifytest.KeyMode{spotifytest.KeysItem, spotifytest.KeysBoth, spotifytest.KeysTrack} {
		t.Run(fmt.Sprint("keys", keys), func(t *testing.T) {
			e := newEnv(t)
			e.srv.Keys = keys
			e.srv.AddPlaylist(playlist("empty", 0))
			e.srv.AddPlaylist(playlist("one", 1))
			e.srv.AddPlaylist(playlist("big", 5000))
			e.srv.SetLiked(liked(120))
			e.login(time.Now().Add(time.Hour))

			res := e.sync()
			if res.Playlists != 4 || res.Fetched != 4 || res.Items != 5121 || res.Failed != 0 {
				t.Fatalf("result %+v", res)
			}
			// The minimum: one list page, then ⌈items/50⌉ pages per playlist
			// (an empty playlist still costs one), and Liked Songs' pages.
			minimum := 1 + 1 + 1 + pages(5000, itemsPageSize) + pages(120, likedPageSize)
			if res.Requests != int64(minimum) {
				t.Errorf("first sync made %d requests, the minimum is %d", res.Requests, minimum)
			}
			big := e.items("big")
			if len(big) != 5000 {
				t.Fatalf("big: %d items", len(big))
			}
			for i, it := range big {
				if it.Position != i || it.Track == nil || it.Track.ID != fmt.Sprintf("trk%06d", i) {
					t.Fatalf("big[%d] = %+v", i, it)
				}
			}
			tr := big[7].Track
			if tr.ISRC != "GBAYE0000007" || len(tr.Artists) != 2 || tr.Artists[1].Name != "Artist Two" ||
				tr.AlbumName != "Album" || tr.AlbumReleaseDate != "2001-05-01" || tr.DurationMs != 180_007 || tr.Kind != "track" {
				t.Errorf("track = %+v", tr)
			}
			if n := len(e.items("empty")); n != 0 {
				t.Errorf("empty playlist has %d items", n)
			}
			lk := e.items(cache.LikedID)
			if len(lk) != 120 || lk[0].Track.ID != "trk010000" {
				t.Errorf("liked: %d items, first %+v", len(lk), lk[0])
			}
		})
	}
}

func TestSyncKeepsLocalFilesEpisodesAndGaps(t *testing.T) {
	e := newEnv(t)
	p := playlist("mixed", 2)
	p.Items = append(p.Items,
		spotifytest.Item{AddedAt: time.Now(), Local: &spotifytest.LocalFile{Name: "One More Time", Artist: "Daft Punk", Album: "Discovery", DurationMs: 320_000}},
		spotifytest.Item{AddedAt: time.Now()}, // removed from Spotify: null
		spotifytest.Item{AddedAt: time.Now(), Episode: &spotifytest.Episode{ID: "ep1", Name: "Episode", DurationMs: 3_600_000, Show: spotifytest.Show{ID: "sh1", Name: "The Show"}}},
	)
	e.srv.AddPlaylist(p)
	e.login(time.Now().Add(time.Hour))
	e.sync()
	items := e.items("mixed")
	if len(items) != 5 {
		t.Fatalf("%d items, want 5", len(items))
	}
	local, gap, ep := items[2].Track, items[3].Track, items[4].Track
	if local == nil || local.Kind != "local" || local.Name != "One More Time" || local.DurationMs != 320_000 ||
		!strings.HasPrefix(local.ID, "local:spotify:local:") || len(local.Artists) != 1 || local.Artists[0].Name != "Daft Punk" || local.AlbumName != "Discovery" {
		t.Errorf("local file = %+v", local)
	}
	if gap != nil {
		t.Errorf("null entry stored as %+v, want a gap", gap)
	}
	if ep == nil || ep.Kind != "episode" || ep.ID != "ep1" || ep.ShowName != "The Show" {
		t.Errorf("episode = %+v", ep)
	}
}

func TestIncrementalSyncFetchesOnlyWhatChanged(t *testing.T) {
	e := newEnv(t)
	for i := range 60 { // two pages of playlists
		e.srv.AddPlaylist(playlist(fmt.Sprintf("p%02d", i), 30+i))
	}
	e.srv.SetLiked(liked(75))
	e.login(time.Now().Add(time.Hour))
	e.sync()
	listPages := pages(60, playlistsPageSize)

	res := e.sync()
	if res.Fetched != 0 || res.Unchanged != 61 {
		t.Errorf("no-change resync: %+v", res)
	}
	if want := int64(listPages + 1); res.Requests != want { // + Liked Songs' first page
		t.Errorf("no-change resync made %d requests, want %d", res.Requests, want)
	}

	changed, _ := e.srv.Playlist("p07")
	changed.Items = append(changed.Items, spotifytest.Item{AddedAt: time.Now(), Track: track(999)})
	changed.SnapshotID = ""
	e.srv.UpdatePlaylist(changed)
	e.srv.RemovePlaylist("p08")
	e.srv.SetLiked(append(liked(1)[:0:0], append([]spotifytest.Item{{AddedAt: time.Now(), Track: track(5555)}}, liked(75)...)...))
	res = e.sync()
	if res.Fetched != 2 || res.Removed != 1 || res.Unchanged != 58 {
		t.Errorf("after changes: %+v", res)
	}
	want := listPages + pages(len(changed.Items), itemsPageSize) + pages(76, likedPageSize)
	if res.Requests != int64(want) {
		t.Errorf("after changes: %d requests, want %d", res.Requests, want)
	}
	if n := len(e.items("p07")); n != len(changed.Items) {
		t.Errorf("p07 has %d items, want %d", n, len(changed.Items))
	}
	if _, err := e.store.FindPlaylist(context.Background(), "p08"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("removed playlist still there: %v", err)
	}
	if lk := e.items(cache.LikedID); len(lk) != 76 || lk[0].Track.ID != track(5555).ID {
		t.Errorf("liked not refreshed: %d", len(lk))
	}
}

func TestForbiddenPlaylistIsRecordedAndSyncGoesOn(t *testing.T) {
	e := newEnv(t)
	e.srv.AddPlaylist(playlist("mine", 3))
	ed := playlist("editorial", 10)
	ed.OwnerID, ed.OwnerName, ed.Forbidden = "spotify", "Spotify", true
	e.srv.AddPlaylist(ed)
	e.login(time.Now().Add(time.Hour))
	res := e.sync()
	if res.Unreadable != 1 || res.Fetched != 2 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error, "403") {
		t.Errorf("result %+v", res)
	}
	p, err := e.store.FindPlaylist(context.Background(), "editorial")
	if err != nil || p.Readable || !strings.Contains(p.Unreadable, "own or collaborate") || p.OwnerName != "Spotify" {
		t.Errorf("editorial = %+v, %v", p, err)
	}
	if len(e.items("mine")) != 3 {
		t.Error("readable playlist not synced")
	}
	// Next time it is tried again (its snapshot was never stored).
	res = e.sync()
	if res.Unreadable != 1 || res.Unchanged != 2 {
		t.Errorf("resync %+v", res)
	}
}

func TestFaultsAreRetriedBoundedAndLoseNothing(t *testing.T) {
	const itemsRoute = "GET /v1/playlists/{id}/items"
	cases := []struct {
		name       string
		fault      spotifytest.Fault
		ok         bool   // the changed playlist ends up synced
		errLike    string // else the error names this
		wantWait   time.Duration
		maxRequest int // requests to the items route in the second sync
	}{
		{name: "429 twice", fault: spotifytest.Fault{Status: 429, RetryAfter: 3, Times: 2}, ok: true, wantWait: 3 * time.Second, maxRequest: 3},
		{name: "500 then ok", fault: spotifytest.Fault{Status: 500, Times: 1}, ok: true, maxRequest: 2},
		{name: "502 twice", fault: spotifytest.Fault{Status: 502, Times: 2}, ok: true, maxRequest: 3},
		{name: "reset once", fault: spotifytest.Fault{Reset: true, Times: 1}, ok: true, maxRequest: 2},
		{name: "hang once", fault: spotifytest.Fault{Hang: spotifytest.HangForever, Times: 1}, ok: true, maxRequest: 2},
		{name: "503 forever", fault: spotifytest.Fault{Status: 503}, errLike: "503", maxRequest: 4},
		{name: "hang forever", fault: spotifytest.Fault{Hang: spotifytest.HangForever}, errLike: "no answer within", maxRequest: 4},
		{name: "429 too long", fault: spotifytest.Fault{Status: 429, RetryAfter: 3600}, errLike: "rate-limiting", maxRequest: 1},
		{name: "malformed", fault: spotifytest.Fault{Malformed: true}, errLike: "malformed", maxRequest: 1},
		{name: "plain text 503", fault: spotifytest.Fault{PlainText: true}, errLike: "503", maxRequest: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.AddPlaylist(playlist("a", 120))
			e.srv.AddPlaylist(playlist("b", 10))
			e.login(time.Now().Add(time.Hour))
			e.sync()

			changed, _ := e.srv.Playlist("a")
			changed.Items = changed.Items[:100]
			changed.SnapshotID = ""
			e.srv.UpdatePlaylist(changed)
			e.srv.ResetCounts()
			e.srv.Fault(itemsRoute, tc.fault)
			res := e.sync()
			got := len(e.items("a"))
			if tc.ok {
				if res.Failed != 0 || got != 100 {
					t.Errorf("not recovered: %+v, %d items", res, got)
				}
			} else {
				if res.Failed != 1 || got != 120 {
					t.Errorf("want the previous 120 items kept and one failure: %+v, %d items", res, got)
				}
				if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error, tc.errLike) {
					t.Errorf("error %v does not mention %q", res.Errors, tc.errLike)
				}
			}
			if n := e.srv.Requests(itemsRoute); n > tc.maxRequest+pages(100, itemsPageSize)-1 {
				t.Errorf("%d requests to the items route: retries not bounded", n)
			}
			if tc.wantWait > 0 {
				e.mu.Lock()
				defer e.mu.Unlock()
				honoured := 0
				for _, w := range e.waits {
					if w == tc.wantWait {
						honoured++
					}
				}
				if honoured != 2 {
					t.Errorf("waits %v: want Retry-After %s honoured twice", e.waits, tc.wantWait)
				}
			}
		})
	}
}

func TestFailingPlaylistListDeletesNothing(t *testing.T) {
	e := newEnv(t)
	e.srv.AddPlaylist(playlist("a", 5))
	e.login(time.Now().Add(time.Hour))
	e.sync()
	e.srv.Fault("GET /v1/me/playlists", spotifytest.Fault{Status: 500})
	_, err := e.syncer.Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("err = %v", err)
	}
	if len(e.items("a")) != 5 {
		t.Error("playlist lost after a failed list")
	}
}

func TestExpiredTokenIsRefreshedOnceAndRotated(t *testing.T) {
	e := newEnv(t)
	e.srv.AddPlaylist(playlist("a", 5))
	e.login(time.Now().Add(-time.Minute)) // already expired
	before, _ := e.tokens.Load()

	var wg gosync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.client.CurrentUser(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.srv.Refreshes(); n != 1 {
		t.Errorf("%d refreshes for 20 concurrent calls, want 1", n)
	}
	after, _ := e.tokens.Load()
	if after.RefreshToken == before.RefreshToken || after.AccessToken == before.AccessToken {
		t.Error("rotated refresh token was not saved")
	}

	// The server expires the token early: a 401 triggers one refresh and
	// the call succeeds; the old refresh token no longer works, so a second
	// process must read the saved one.
	e.srv.ExpireAccessTokens()
	if _, err := e.client.CurrentUser(context.Background()); err != nil {
		t.Fatalf("after server-side expiry: %v", err)
	}
	if n := e.srv.Refreshes(); n != 2 {
		t.Errorf("refreshes = %d, want 2", n)
	}
	e.connect() // a new process, reading the token file
	e.srv.ExpireAccessTokens()
	if _, err := e.client.CurrentUser(context.Background()); err != nil {
		t.Errorf("restart with the saved, rotated token: %v", err)
	}
}

// TestTwoProcessesShareRotatingTokens: the daemon and a CLI command hold
// the same single-use refresh token; whichever refreshes second adopts the
// token the first saved instead of spending the used refresh token.
func TestTwoProcessesShareRotatingTokens(t *testing.T) {
	e := newEnv(t)
	e.login(time.Now().Add(-time.Minute))
	first := e.client
	e.connect() // a second process, same token file
	second := e.client
	if _, err := first.CurrentUser(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := second.CurrentUser(context.Background()); err != nil {
		t.Fatalf("second process after the first refreshed: %v", err)
	}
	if n := e.srv.Refreshes(); n != 1 {
		t.Errorf("%d refreshes, want 1 (the second process adopts the saved token)", n)
	}
}

func TestRevokedLoginSaysLogInAgain(t *testing.T) {
	e := newEnv(t)
	e.srv.AddPlaylist(playlist("a", 5))
	e.login(time.Now().Add(-time.Minute))
	e.srv.RevokeRefreshTokens()
	_, err := e.syncer.Sync(context.Background())
	if !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "tapedeck login") {
		t.Errorf("err = %v, want ErrLoginRequired", err)
	}
	if n := e.srv.Refreshes(); n > 1 {
		t.Errorf("invalid_grant retried: %d refresh attempts", n)
	}
}

// freeLoopbackURL returns a redirect URL on a free loopback port.
func freeLoopbackURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String() + "/callback"
}

func TestLoginWithPKCE(t *testing.T) {
	e := newEnv(t)
	e.srv.AddPlaylist(playlist("a", 2))
	redirect := freeLoopbackURL(t)
	var forged int
	login := &Login{
		Config: OAuthConfig(e.srv.ClientID, e.srv.AccountsURL(), redirect),
		Store:  e.tokens,
		Logger: e.logger(),
		ShowURL: func(authURL string) {
			go func() {
				// A forged callback with the wrong state is refused...
				resp, err := http.Get(redirect + "?code=stolen&state=wrong")
				if err == nil {
					forged = resp.StatusCode
					resp.Body.Close()
				}
				// ...and the listener's browser follows Spotify's redirect.
				resp, err = http.Get(authURL)
				if err == nil {
					resp.Body.Close()
				}
			}()
		},
	}
	if err := login.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if forged != http.StatusBadRequest {
		t.Errorf("wrong state answered %d, want 400", forged)
	}
	tok, err := e.tokens.Load()
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("token not saved: %v", err)
	}
	e.connect()
	u, err := e.client.CurrentUser(context.Background())
	if err != nil || u.ID != "listener" {
		t.Errorf("after login: %+v, %v", u, err)
	}
}

func TestLoginDeniedOrMisconfigured(t *testing.T) {
	e := newEnv(t)
	e.srv.DenyAuthorization = true
	redirect := freeLoopbackURL(t)
	follow := func(authURL string) {
		go func() {
			if resp, err := http.Get(authURL); err == nil {
				resp.Body.Close()
			}
		}()
	}
	login := &Login{Config: OAuthConfig(e.srv.ClientID, e.srv.AccountsURL(), redirect), Store: e.tokens, ShowURL: follow}
	if err := login.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("denied: %v", err)
	}
	if _, err := e.tokens.Load(); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("a token was saved after a denied login: %v", err)
	}
	login.Config = OAuthConfig("", e.srv.AccountsURL(), redirect)
	if err := login.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "spotify.client_id") {
		t.Errorf("no client id: %v", err)
	}
	login.Config = OAuthConfig(e.srv.ClientID, e.srv.AccountsURL(), redirect)
	login.Timeout = 50 * time.Millisecond
	login.ShowURL = func(string) {}
	if err := login.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "tapedeck login") {
		t.Errorf("timeout: %v", err)
	}
}

// TestNoTokenLeaks runs login, refreshes, faults and a sync with debug
// logging, then looks for every token the fake issued in the logs, the
// errors and the database file.
func TestNoTokenLeaks(t *testing.T) {
	e := newEnv(t)
	e.srv.AddPlaylist(playlist("a", 60))
	e.srv.SetLiked(liked(3))
	e.login(time.Now().Add(-time.Minute))
	e.srv.Fault("GET /v1/playlists/{id}/items", spotifytest.Fault{Status: 500, Times: 1})
	e.sync()
	e.srv.ExpireAccessTokens()
	e.srv.Fault("GET /v1/me/tracks", spotifytest.Fault{Status: 401, Times: 1})
	e.sync()
	e.srv.RevokeRefreshTokens()
	e.srv.ExpireAccessTokens()
	_, syncErr := e.syncer.Sync(context.Background())

	tok, _ := e.tokens.Load()
	db, err := os.ReadFile(e.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(e.store.Path() + "-wal")
	haystack := e.logs.String() + fmt.Sprint(syncErr) + string(db) + string(wal)
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
		if secret != "" && strings.Contains(haystack, secret) {
			t.Errorf("a token appears in logs, errors or the database")
		}
	}
	if !strings.Contains(e.logs.String(), "retry") {
		t.Error("the test did not exercise the logged retry path")
	}
}
