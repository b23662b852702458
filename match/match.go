// Package match pairs Spotify tracks with the listener's own audio files.
//
// Evidence is weighed in a fixed order: a pin by the user, then the ISRC,
// then the MusicBrainz recording id, then the text of title, artists and
// album with the duration. Matching is pure: an Index holds the local files'
// parsed tags under normalised keys, and a Spotify track is scored only
// against the files that share one of its keys, never against the whole
// library. LocalKeys and RemoteKeys expose those keys so that a store can
// find which tracks to rematch when a file comes or goes.
package match

import (
	"time"
)

// Local is one playable audio file of the listener's library.
type Local struct {
	ID            int64
	Path          string
	Format        string // container: mp3 flac ogg opus wav m4a
	Codec         string // flac alac pcm aac mp3 vorbis opus
	DurationMs    int64  // 0 when unknown
	Title         string
	Artists       []string // every artist value as tagged
	Album         string
	AlbumArtist   string
	ISRC          string
	MBRecordingID string
	// Unreadable reports that the tags could not be read: only the path
	// is used.
	Unreadable bool
}

// Remote is one entry of a Spotify playlist.
type Remote struct {
	ID string
	// Kind is "track", "local" (a Spotify local-file entry) or "episode"
	// (never matched).
	Kind       string
	Name       string
	Artists    []string
	Album      string
	DurationMs int64
	ISRC       string
	// MBRecordingID is a MusicBrainz recording id when one is known for
	// the track (Spotify gives none; a lookup by ISRC may).
	MBRecordingID string
}

// Override is what the listener said about one Spotify track.
type Override struct {
	Pin      string   // path of the file to play, whatever the matcher thinks
	Rejected []string // paths never to pair with this track
	None     bool     // the listener has no copy of this track
}

// Options tune the matcher; the zero value means the defaults.
type Options struct {
	// FormatPreference orders files that hold the same recording; each
	// entry names a codec or a container. Default: DefaultFormatPreference.
	FormatPreference []string
	// DurationTolerance is how far a file's duration may be from Spotify's
	// for a text match. Default: 3 s.
	DurationTolerance time.Duration
}

// DefaultFormatPreference puts lossless first, then the better lossy codecs.
var DefaultFormatPreference = []string{"flac", "alac", "wav", "pcm", "opus", "ogg", "vorbis", "m4a", "aac", "mp3"}

// Methods a Result may report.
const (
	MethodPin       = "pin"
	MethodISRC      = "isrc"
	MethodMBID      = "mbid"
	MethodText      = "text"
	MethodLocalFile = "local-file" // a Spotify local-file entry matched by its tags
	MethodNone      = "none"       // the listener said there is no local copy
)

// Candidate is one file considered for a track, as `match explain` shows it.
type Candidate struct {
	Local    Local
	Method   string // the evidence it was judged on
	Score    float64
	Accepted bool   // it passed every rule (the chosen one is first)
	Reason   string // why it was taken or refused
}

// Result is the outcome of matching one track.
type Result struct {
	Local      *Local // nil: no match
	Method     string // one of the Method constants, or "" when nothing matched
	Score      float64
	Candidates []Candidate // only from Explain
}
