package spotifytest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) render() render {
	return render{api: s.APIURL(), extended: s.ExtendedQuota}
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	u := s.user
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, s.render().me(u))
}

func (s *Server) handleMyPlaylists(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	pg, ok := s.page(w, r, len(s.order))
	if !ok {
		return
	}
	x := s.render()
	items := make([]simplePlaylistJSON, 0, pg.end-pg.start)
	for _, id := range s.order[pg.start:pg.end] {
		items = append(items, x.simplePlaylist(s.playlists[id], s.Keys))
	}
	writeJSON(w, http.StatusOK, withItems(pg, items))
}

func (s *Server) handleLiked(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	pg, ok := s.page(w, r, len(s.liked))
	if !ok {
		return
	}
	x := s.render()
	items := make([]savedTrackJSON, 0, pg.end-pg.start)
	for _, it := range s.liked[pg.start:pg.end] {
		items = append(items, savedTrackJSON{AddedAt: spotifyTime(it.AddedAt), Track: x.track(it.Track, false)})
	}
	writeJSON(w, http.StatusOK, withItems(pg, items))
}

func (s *Server) handlePlaylist(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.playlists[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	}
	x := s.render()
	sp := x.simplePlaylist(p, s.Keys)
	j := playlistJSON{
		Collaborative: sp.Collaborative, Description: sp.Description, ExternalURLs: sp.ExternalURLs,
		Href: sp.Href, ID: sp.ID, Images: sp.Images, Name: sp.Name, Owner: sp.Owner, Public: sp.Public,
		SnapshotID: sp.SnapshotID, Type: sp.Type, URI: sp.URI,
	}
	if !p.Forbidden {
		// The embedded first page, as if /items had been called with the
		// largest limit, so that its next URL can be followed.
		q := url.Values{"offset": {"0"}, "limit": {strconv.Itoa(s.limitMax())}}
		if at := r.URL.Query().Get("additional_types"); at != "" {
			q.Set("additional_types", at)
		}
		pr := &http.Request{URL: &url.URL{Path: "/v1/playlists/" + p.ID + "/items", RawQuery: q.Encode()}}
		pg, _ := s.page(nil, pr, len(p.Items))
		entries := s.entries(x, p, pg, wantsEpisodes(r))
		if s.Keys.item() {
			j.Items = ptr(withItems(pg, entries))
		}
		if s.Keys.track() {
			j.Tracks = ptr(withItems(pg, entries))
		}
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) handlePlaylistItems(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.playlists[r.PathValue("id")]
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	case p.Forbidden:
		writeError(w, http.StatusForbidden, "Forbidden")
		return
	}
	pg, ok := s.page(w, r, len(p.Items))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, withItems(pg, s.entries(s.render(), p, pg, wantsEpisodes(r))))
}

// handleOldTracks answers the pre-2026 route as dev-mode apps get it since
// March 2026.
func (s *Server) handleOldTracks(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusForbidden, "Forbidden")
}

func (s *Server) entries(x render, p *Playlist, pg page, episodes bool) []entryJSON {
	out := make([]entryJSON, 0, pg.end-pg.start)
	for _, it := range p.Items[pg.start:pg.end] {
		out = append(out, x.entry(it, p.OwnerID, s.Keys, episodes))
	}
	return out
}

func wantsEpisodes(r *http.Request) bool {
	return slices.Contains(strings.Split(r.URL.Query().Get("additional_types"), ","), "episode")
}

// page is the paging object of a request, without its items.
type page struct {
	pagingJSON[struct{}]
	start, end int // the page's items are list[start:end]
}

func withItems[T any](pg page, items []T) pagingJSON[T] {
	p := pg.pagingJSON
	return pagingJSON[T]{Href: p.Href, Items: items, Limit: p.Limit, Next: p.Next, Offset: p.Offset, Previous: p.Previous, Total: p.Total}
}

func (s *Server) limitMax() int {
	if s.PageLimitMax > 0 {
		return s.PageLimitMax
	}
	return MaxPageLimit
}

// page reads limit and offset and computes the paging links for a list of
// total items. On a bad parameter it answers 400 and reports false.
func (s *Server) page(w http.ResponseWriter, r *http.Request, total int) (page, bool) {
	q := r.URL.Query()
	limit, offset := DefaultPageLimit, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.limitMax() {
			writeError(w, http.StatusBadRequest, "Invalid limit")
			return page{}, false
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "Invalid offset")
			return page{}, false
		}
		offset = n
	}
	pg := page{start: min(offset, total), end: min(offset+limit, total)}
	pg.Href = s.pageURL(r, offset, limit)
	pg.Limit, pg.Offset, pg.Total = limit, offset, total
	if offset+limit < total {
		pg.Next = ptr(s.pageURL(r, offset+limit, limit))
	}
	if offset > 0 {
		pg.Previous = ptr(s.pageURL(r, max(offset-limit, 0), limit))
	}
	return pg, true
}

// pageURL is the absolute URL of a page on this server, in Spotify's form:
// offset and limit first, then the client's other parameters.
func (s *Server) pageURL(r *http.Request, offset, limit int) string {
	q := r.URL.Query()
	q.Del("offset")
	q.Del("limit")
	u := s.URL + r.URL.Path + "?offset=" + strconv.Itoa(offset) + "&limit=" + strconv.Itoa(limit)
	if rest := q.Encode(); rest != "" {
		u += "&" + rest
	}
	return u
}
