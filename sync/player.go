package sync

import (
	"context"
	"errors"
	"fmt"

	spotifyapi "github.com/zmb3/spotify/v2"
)

// The Spotify Connect side: devices and playback, through zmb3's player
// calls on the same authenticated, retrying HTTP client.

// Devices lists the listener's Connect devices.
func (c *Client) Devices(ctx context.Context) ([]spotifyapi.PlayerDevice, error) {
	d, err := c.api.PlayerDevices(ctx)
	if err != nil {
		return nil, fmt.Errorf("Spotify devices: %w", err)
	}
	return d, nil
}

// PlayerState returns what Spotify plays; nil when no device is active
// (Spotify answers 204, which zmb3 turns into an empty state).
func (c *Client) PlayerState(ctx context.Context) (*spotifyapi.PlayerState, error) {
	st, err := c.api.PlayerState(ctx)
	if err != nil {
		return nil, err
	}
	if st == nil || st.Device.ID == "" {
		return nil, nil
	}
	return st, nil
}

// PickDevice chooses the device to play on: the one named name (any case),
// else the active one, else the first; ErrNoDevice if there is none.
func PickDevice(devices []spotifyapi.PlayerDevice, name string) (spotifyapi.PlayerDevice, error) {
	if name != "" {
		for _, d := range devices {
			if equalFold(d.Name, name) {
				return d, nil
			}
		}
		return spotifyapi.PlayerDevice{}, fmt.Errorf("%w: no device called %q (spotify.device); open Spotify on it", ErrNoDevice, name)
	}
	for _, d := range devices {
		if d.Active {
			return d, nil
		}
	}
	if len(devices) > 0 {
		return devices[0], nil
	}
	return spotifyapi.PlayerDevice{}, ErrNoDevice
}

// ErrNoDevice means Spotify has no Connect device to play on.
var ErrNoDevice = errors.New("no Spotify device: open Spotify on a phone, computer or speaker")

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// PlayPlaylist starts playlistID on the device at the entry trackURI (or
// at index when trackURI is ""), positionMs into it.
func (c *Client) PlayPlaylist(ctx context.Context, deviceID, playlistID, trackURI string, index int, positionMs int64) error {
	return c.PlayContext(ctx, deviceID, "spotify:playlist:"+playlistID, trackURI, index, positionMs)
}

// PlayContext starts a context (a playlist, an album, an artist: its
// spotify: URI) on the device at the entry trackURI (or at index when
// trackURI is ""), positionMs into it.
func (c *Client) PlayContext(ctx context.Context, deviceID, contextURI, trackURI string, index int, positionMs int64) error {
	ctxURI := spotifyapi.URI(contextURI)
	opt := &spotifyapi.PlayOptions{PlaybackContext: &ctxURI, PositionMs: spotifyapi.Numeric(positionMs)}
	if trackURI != "" {
		opt.PlaybackOffset = &spotifyapi.PlaybackOffset{URI: spotifyapi.URI(trackURI)}
	} else {
		opt.PlaybackOffset = &spotifyapi.PlaybackOffset{Position: &index}
	}
	return c.play(ctx, deviceID, opt)
}

// PlayTracks plays a list of tracks (spotify:track: URIs) without a
// context, from the first, positionMs into it. It is how Liked Songs
// plays: the Web API has no context for them (a context_uri for the
// collection is refused as "Non supported context uri").
func (c *Client) PlayTracks(ctx context.Context, deviceID string, trackURIs []string, positionMs int64) error {
	uris := make([]spotifyapi.URI, len(trackURIs))
	for i, u := range trackURIs {
		uris[i] = spotifyapi.URI(u)
	}
	return c.play(ctx, deviceID, &spotifyapi.PlayOptions{URIs: uris, PositionMs: spotifyapi.Numeric(positionMs)})
}

func (c *Client) play(ctx context.Context, deviceID string, opt *spotifyapi.PlayOptions) error {
	if deviceID != "" {
		id := spotifyapi.ID(deviceID)
		opt.DeviceID = &id
	}
	if err := c.api.PlayOpt(ctx, opt); err != nil {
		return fmt.Errorf("Spotify play: %w", err)
	}
	return nil
}

// Pause pauses Spotify's playback.
func (c *Client) Pause(ctx context.Context) error {
	if err := c.api.Pause(ctx); err != nil {
		return fmt.Errorf("Spotify pause: %w", err)
	}
	return nil
}

// Resume resumes Spotify's playback where it was.
func (c *Client) Resume(ctx context.Context) error {
	if err := c.api.Play(ctx); err != nil {
		return fmt.Errorf("Spotify resume: %w", err)
	}
	return nil
}

// Next skips to the next track on Spotify.
func (c *Client) Next(ctx context.Context) error { return c.api.Next(ctx) }

// Previous goes back a track on Spotify.
func (c *Client) Previous(ctx context.Context) error { return c.api.Previous(ctx) }

// Seek moves Spotify's playback to positionMs.
func (c *Client) Seek(ctx context.Context, positionMs int64) error {
	return c.api.Seek(ctx, int(positionMs))
}

// SetVolume sets the device's volume (0–100).
func (c *Client) SetVolume(ctx context.Context, v int) error { return c.api.Volume(ctx, v) }

// SetShuffle turns Spotify's shuffle on or off.
func (c *Client) SetShuffle(ctx context.Context, on bool) error { return c.api.Shuffle(ctx, on) }

// SetRepeat sets Spotify's repeat: tapedeck's "off", "all" or "one" are
// the Web API's "off", "context" and "track".
func (c *Client) SetRepeat(ctx context.Context, mode string) error {
	state := map[string]string{"off": "off", "all": "context", "one": "track"}[mode]
	if state == "" {
		return fmt.Errorf("repeat %q: use off, all or one", mode)
	}
	return c.api.Repeat(ctx, state)
}
