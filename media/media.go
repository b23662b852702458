// Package media reads what tapedeck needs to know about one audio file: its
// container and codec, its exact duration and stream properties, and its tags
// (including ISRC and MusicBrainz ids, which the matcher relies on).
//
// Reading never panics on bad data: every parser runs under recover and a
// malformed file yields an error, never a crash. Parsers read only headers,
// tags and the file's tail, never the audio payload, except for an MP3 with
// neither a Xing/Info nor a VBRI header whose bitrate varies: its frames are
// counted, a bounded amount of work.
//
// Errors: when the audio properties were read but the tags were not (a
// malformed tag on good audio), Read returns the Info with its properties set
// and an error that matches ErrTags with errors.Is: the caller may store both.
// Any other error means the Info is not usable; errors about the file's
// content (as opposed to I/O) also match ErrMalformed.
package media

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// ErrUnsupported reports a file whose extension names no format tapedeck reads.
var ErrUnsupported = errors.New("unsupported audio format")

// ErrMalformed is matched (with errors.Is) by every error about a file whose
// content cannot be parsed: empty, truncated, corrupt or not audio at all.
var ErrMalformed = errors.New("malformed audio file")

// ErrTags is matched (with errors.Is) by the error Read returns when the
// audio properties in Info are valid but the tags could not be read, fully or
// in part. Info then holds the properties and whatever tags were read.
var ErrTags = errors.New("unreadable tags")

// Info describes one audio file. Zero values mean "not present in the file".
type Info struct {
	Format     string `json:"format"` // container: "mp3", "flac", "ogg", "opus", "wav", "m4a"
	Codec      string `json:"codec"`  // "mp3", "flac", "vorbis", "opus", "pcm", "aac", "alac"
	DurationMs int64  `json:"duration_ms"`
	SampleRate int    `json:"sample_rate"`
	Channels   int    `json:"channels"`
	Bitrate    int    `json:"bitrate"` // average, kbit/s

	Title         string   `json:"title"`
	Artists       []string `json:"artists"` // every artist value as tagged, in order; never joined
	Album         string   `json:"album"`
	AlbumArtist   string   `json:"album_artist"`
	TrackNo       int      `json:"track_no"`
	TrackTotal    int      `json:"track_total"`
	DiscNo        int      `json:"disc_no"`
	DiscTotal     int      `json:"disc_total"`
	Year          int      `json:"year"`
	Genre         string   `json:"genre"`
	ISRC          string   `json:"isrc"`            // as tagged, upper-cased and trimmed
	MBRecordingID string   `json:"mb_recording_id"` // MusicBrainz recording id (UUID)

	// ReplayGain values in dB (gains) and linear (peaks); nil when absent.
	TrackGain *float64 `json:"rg_track_gain"`
	TrackPeak *float64 `json:"rg_track_peak"`
	AlbumGain *float64 `json:"rg_album_gain"`
	AlbumPeak *float64 `json:"rg_album_peak"`

	// Gapless information in samples, where the file declares it
	// (LAME/Xing header, iTunSMPB, Opus pre-skip).
	EncoderDelay   int `json:"encoder_delay"`
	EncoderPadding int `json:"encoder_padding"`
}

// parser reads one format from s into info. A tag problem is reported with
// tagError so the properties survive.
type parser func(s *source, info *Info) error

var parsers = map[string]parser{
	"mp3":  readMP3,
	"flac": readFLAC,
	"ogg":  readOgg,
	"oga":  readOgg,
	"opus": readOgg,
	"wav":  readWAV,
	"wave": readWAV,
	"m4a":  readMP4,
	"mp4":  readMP4,
	"m4b":  readMP4,
}

func normExt(ext string) string {
	return strings.ToLower(strings.TrimPrefix(ext, "."))
}

// Supported reports whether ext (with or without a leading dot, any case)
// names a format Probe reads.
func Supported(ext string) bool {
	_, ok := parsers[normExt(ext)]
	return ok
}

// Probe opens path and reads its Info.
func Probe(path string) (Info, error) {
	ext := path[strings.LastIndexByte(path, '.')+1:]
	if strings.LastIndexByte(path, '.') < 0 || !Supported(ext) {
		return Info{}, fmt.Errorf("%s: %w", path, ErrUnsupported)
	}
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	return Read(f, st.Size(), ext)
}

// Read reads Info from r, whose total size is size; ext selects the parser.
// It recovers from panics in any parser and reports them as errors.
func Read(r io.ReadSeeker, size int64, ext string) (info Info, err error) {
	p, ok := parsers[normExt(ext)]
	if !ok {
		return Info{}, fmt.Errorf("%q: %w", ext, ErrUnsupported)
	}
	name := normExt(ext)
	defer func() {
		if v := recover(); v != nil {
			info = Info{}
			err = malformed(name, "parser panic: %v", v)
		}
	}()
	if size <= 0 {
		return Info{}, malformed(name, "empty file")
	}
	s, err := newSource(r, size)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", name, err)
	}
	err = p(s, &info)
	if err != nil && !errors.Is(err, ErrTags) {
		return info, err
	}
	if info.DurationMs <= 0 {
		return info, malformed(info.Format, "no duration")
	}
	return info, err
}

// formatError is a content error; it matches ErrMalformed.
type formatError struct {
	format string
	msg    string
}

func (e *formatError) Error() string        { return e.format + ": " + e.msg }
func (e *formatError) Is(target error) bool { return target == ErrMalformed }

func malformed(format, msg string, args ...any) error {
	return &formatError{format: format, msg: fmt.Sprintf(msg, args...)}
}

// tagError wraps a tag problem so that it matches ErrTags.
type tagError struct{ err error }

func (e *tagError) Error() string { return "tags: " + e.err.Error() }
func (e *tagError) Unwrap() []error {
	return []error{ErrTags, e.err}
}

func tagErr(err error) error {
	if err == nil {
		return nil
	}
	return &tagError{err}
}

// toMs converts n units at rate units per second to milliseconds, rounded.
// Huge counts from corrupt headers saturate instead of overflowing.
func toMs(n, rate int64) int64 {
	if n <= 0 || rate <= 0 {
		return 0
	}
	if n > math.MaxInt64/2000 {
		return n / rate * 1000
	}
	return (n*1000 + rate/2) / rate
}
