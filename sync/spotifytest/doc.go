// Package spotifytest is a fake Spotify Web API and accounts service that
// listens on a real loopback port, for tests and for running tapedeck end to
// end without Spotify.
//
//	srv := spotifytest.New()
//	defer srv.Close()
//	srv.AddPlaylist(spotifytest.Playlist{ID: "p1", Name: "Gym", Items: items})
//	access, refresh := srv.IssueTokens()
//	// point the client at srv.APIURL() and srv.AccountsURL()
//
// # Shape of the responses
//
// Responses follow Spotify's Web API reference as it stands after the
// February 2026 changes for development-mode apps (new routes, renamed keys,
// fields removed from /me and from tracks), with external_ids (ISRC)
// restored as in the March 2026 changelog:
//
//   - GET /v1/me: display_name, external_urls, href, id, images, type, uri.
//     country, email, explicit_content, followers and product are only sent
//     when ExtendedQuota is set, as dev-mode apps no longer get them.
//   - GET /v1/me/playlists: a paging object of simplified playlists. Each
//     carries its entry count as "items": {"href","total"} (2026) and/or
//     "tracks": {...} (before 2026), as chosen by Keys.
//   - GET /v1/playlists/{id}: the full playlist with its first page of
//     entries under "items" and/or "tracks"; for a Forbidden playlist only
//     the metadata, as Spotify now answers for playlists the user neither
//     owns nor collaborates on.
//   - GET /v1/playlists/{id}/items: a paging object of playlist track
//     objects {added_at, added_by, is_local, item, primary_color,
//     video_thumbnail}; the object sits under "item", "track" or both as
//     chosen by Keys. Without additional_types=episode an episode comes in
//     the legacy track-like shape (type "episode" but album/artists fields),
//     as Spotify does for old clients. Forbidden playlists answer 403.
//   - GET /v1/playlists/{id}/tracks: always 403 {"error":{"status":403,
//     "message":"Forbidden"}}, as dev-mode apps get since March 2026, so a
//     client still on the old route fails visibly.
//   - GET /v1/me/tracks (Liked Songs): saved track objects {added_at, track};
//     that key was not renamed in 2026. Needs the user-library-read scope.
//
// Paging objects carry href, items, limit, next, offset, previous and total;
// next and previous are absolute URLs on this server (nil at the ends), so
// clients that follow them (zmb3/spotify's NextPage) stay on the fake. The
// default limit is 20 and the largest accepted is PageLimitMax (50, as the
// 2026 reference gives for all three lists); a larger or smaller one
// answers 400 "Invalid limit". The fields query parameter is accepted and
// ignored: the full object is always sent, a superset of any filter.
//
// # Accounts service
//
// GET /authorize checks client_id, the redirect URI (loopback only:
// http://127.0.0.1:PORT/... or http://[::1]:PORT/...; "localhost" is refused
// with "INVALID_CLIENT: Insecure redirect URI"), response_type=code and a
// S256 code challenge, then approves at once with a 302 to
// redirect_uri?code=...&state=... (or error=access_denied when
// DenyAuthorization is set). POST /api/token serves authorization_code
// (verifying the PKCE verifier; a code works once) and refresh_token grants.
// Every refresh returns a new refresh token and retires the old one, as
// Spotify does for PKCE clients. Errors are {"error","error_description"}
// with status 400.
//
// API calls need "Authorization: Bearer <token>"; a missing, unknown or
// expired token gets 401 with Spotify's error object and a WWW-Authenticate
// header.
//
// # Faults
//
// Fault makes a route (its pattern, such as "GET /v1/playlists/{id}/items",
// or "*" for every route) answer with an error status, a Retry-After header,
// a delay, a reset connection, truncated JSON or a plain-text body. Requests
// counts requests per route.
//
// Exported settings (Keys, TokenTTL, Now, ...) may be changed between
// requests but not while requests are in flight.
package spotifytest
