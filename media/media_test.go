package media_test

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/media"
)

var fullTags = fixture.Tags{
	Title:         "Señor Title",
	Artists:       []string{"Alice feat. Bob", "Carol & Dave"},
	Album:         "The Album",
	AlbumArtist:   "Various Artists",
	ISRC:          "usrc17607839",
	MBRecordingID: "5e0a7b6c-1f2d-4c3b-9a8e-7d6c5b4a3f21",
	Date:          "2019-05-03",
	Genre:         "Rock",
	Track:         3,
	Disc:          2,
	TrackGain:     "-6.54 dB",
	TrackPeak:     "0.988123",
}

var props = map[string]struct {
	format, codec string
	rate          int
}{
	"mp3":      {"mp3", "mp3", 44100},
	"flac":     {"flac", "flac", 44100},
	"ogg":      {"ogg", "vorbis", 44100},
	"opus":     {"opus", "opus", 48000},
	"wav":      {"wav", "pcm", 44100},
	"m4a-aac":  {"m4a", "aac", 44100},
	"m4a-alac": {"m4a", "alac", 44100},
}

func TestProbeFormats(t *testing.T) {
	dir := t.TempDir()
	for _, format := range fixture.Formats {
		for _, ms := range []int{1000, 2345, 3000} {
			t.Run(format+"/"+itoa(ms), func(t *testing.T) {
				path := fixture.Make(t, dir, format+itoa(ms), format, ms, fullTags)
				info, err := media.Probe(path)
				if err != nil {
					t.Fatal(err)
				}
				checkProps(t, info, format, ms)
				checkTags(t, info, fullTags.Artists)
			})
		}
	}
}

func checkProps(t *testing.T, info media.Info, format string, ms int) {
	t.Helper()
	want := props[format]
	if info.Format != want.format || info.Codec != want.codec {
		t.Errorf("format/codec = %s/%s, want %s/%s", info.Format, info.Codec, want.format, want.codec)
	}
	if d := math.Abs(float64(info.DurationMs - int64(ms))); d > 50 {
		t.Errorf("DurationMs = %d, want %d ± 50", info.DurationMs, ms)
	}
	if info.SampleRate != want.rate || info.Channels != 2 {
		t.Errorf("rate/channels = %d/%d, want %d/2", info.SampleRate, info.Channels, want.rate)
	}
	if info.Bitrate <= 0 {
		t.Errorf("Bitrate = %d", info.Bitrate)
	}
}

func checkTags(t *testing.T, info media.Info, artists []string) {
	t.Helper()
	str := func(name, got, want string) {
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	str("Title", info.Title, fullTags.Title)
	str("Album", info.Album, fullTags.Album)
	str("AlbumArtist", info.AlbumArtist, fullTags.AlbumArtist)
	str("Genre", info.Genre, fullTags.Genre)
	str("ISRC", info.ISRC, "USRC17607839")
	str("MBRecordingID", info.MBRecordingID, fullTags.MBRecordingID)
	if !slices.Equal(info.Artists, artists) {
		t.Errorf("Artists = %q, want %q", info.Artists, artists)
	}
	if info.TrackNo != 3 || info.DiscNo != 2 || info.Year != 2019 {
		t.Errorf("track/disc/year = %d/%d/%d, want 3/2/2019", info.TrackNo, info.DiscNo, info.Year)
	}
	if info.TrackGain == nil || *info.TrackGain != -6.54 {
		t.Errorf("TrackGain = %v, want -6.54", info.TrackGain)
	}
	if info.TrackPeak == nil || *info.TrackPeak != 0.988123 {
		t.Errorf("TrackPeak = %v, want 0.988123", info.TrackPeak)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestID3v23 checks UTF-16 text and that a "/"-joined v2.3 TPE1 stays one value.
func TestID3v23(t *testing.T) {
	tags := fullTags
	tags.ID3Version = 3
	info, err := media.Probe(fixture.Make(t, t.TempDir(), "v23", "mp3", 2345, tags))
	if err != nil {
		t.Fatal(err)
	}
	checkProps(t, info, "mp3", 2345)
	checkTags(t, info, []string{"Alice feat. Bob/Carol & Dave"})
}

// TestFFmpegTags reads the tags ffmpeg itself writes (TSRC, INFO ISRC,
// Vorbis ISRC), with no injection.
func TestFFmpegTags(t *testing.T) {
	tags := fixture.Tags{Title: "T", Artists: []string{"A"}, Album: "Al", ISRC: "GBAYE0601498", Date: "2001", Genre: "Jazz", Track: 7}
	tags.FFmpegOnly = true
	dir := t.TempDir()
	for _, format := range fixture.Formats {
		t.Run(format, func(t *testing.T) {
			info, err := media.Probe(fixture.Make(t, dir, format, format, 1000, tags))
			if err != nil {
				t.Fatal(err)
			}
			checkProps(t, info, format, 1000)
			want := "GBAYE0601498"
			if format == "m4a-aac" || format == "m4a-alac" {
				want = "" // ffmpeg writes no ISRC atom
			}
			if info.Title != "T" || !slices.Equal(info.Artists, []string{"A"}) || info.ISRC != want || info.Year != 2001 || info.TrackNo != 7 {
				t.Errorf("got %+v", info)
			}
		})
	}
}

func TestITunSMPB(t *testing.T) {
	tags := fullTags
	tags.ITunSMPB = true
	info, err := media.Probe(fixture.Make(t, t.TempDir(), "smpb", "m4a-aac", 2345, tags))
	if err != nil {
		t.Fatal(err)
	}
	if info.DurationMs != 2345 || info.EncoderDelay != 1024 {
		t.Errorf("DurationMs, EncoderDelay = %d, %d; want 2345, 1024", info.DurationMs, info.EncoderDelay)
	}
}

func TestGapless(t *testing.T) {
	dir := t.TempDir()
	mp3, err := media.Probe(fixture.Make(t, dir, "g", "mp3", 2345, fullTags))
	if err != nil {
		t.Fatal(err)
	}
	if mp3.EncoderDelay == 0 || mp3.EncoderPadding == 0 {
		t.Errorf("mp3 delay/padding = %d/%d, want both set", mp3.EncoderDelay, mp3.EncoderPadding)
	}
	opus, err := media.Probe(fixture.Make(t, dir, "g", "opus", 2345, fullTags))
	if err != nil {
		t.Fatal(err)
	}
	if opus.EncoderDelay != 312 {
		t.Errorf("opus pre-skip = %d, want 312", opus.EncoderDelay)
	}
}

func TestSupported(t *testing.T) {
	for ext, want := range map[string]bool{".mp3": true, "FLAC": true, ".Ogg": true, "oga": true, ".opus": true, ".wav": true, ".m4a": true, ".txt": false, "": false} {
		if got := media.Supported(ext); got != want {
			t.Errorf("Supported(%q) = %v", ext, got)
		}
	}
	if _, err := media.Probe("x.txt"); !errors.Is(err, media.ErrUnsupported) {
		t.Errorf("Probe(x.txt) = %v, want ErrUnsupported", err)
	}
}

// TestTagErrorKeepsProperties corrupts a frame inside the ID3 tag: the
// properties survive and the error matches ErrTags.
func TestTagErrorKeepsProperties(t *testing.T) {
	data := fixture.Bytes(t, "mp3", 2345, fullTags)
	i := bytes.Index(data, []byte("TALB"))
	copy(data[i:], "t!lb")
	info, err := media.Read(bytes.NewReader(data), int64(len(data)), "mp3")
	if !errors.Is(err, media.ErrTags) {
		t.Fatalf("err = %v, want ErrTags", err)
	}
	checkProps(t, info, "mp3", 2345)
	if info.Title != fullTags.Title {
		t.Errorf("Title = %q: tags before the bad frame should be kept", info.Title)
	}
}

func TestRF64(t *testing.T) {
	info, err := media.Probe(fixture.Make(t, t.TempDir(), "rf", "wav-rf64", 1000, fixture.Tags{Title: "T", FFmpegOnly: true}))
	if err != nil {
		t.Fatal(err)
	}
	checkProps(t, info, "wav", 1000)
	if info.Title != "T" {
		t.Errorf("Title = %q", info.Title)
	}
}

// TestMP3WithoutHeader covers CBR (duration from the bitrate) and VBR
// (frames counted) files with no Xing/Info header. Without gapless
// information the encoder delay and padding (up to ~60 ms) count as audio,
// as in every player.
func TestMP3WithoutHeader(t *testing.T) {
	for _, format := range []string{"mp3-noxing", "mp3-vbr-noxing"} {
		t.Run(format, func(t *testing.T) {
			info, err := media.Probe(fixture.Make(t, t.TempDir(), "x", format, 2345, fixture.Tags{Title: "T", FFmpegOnly: true}))
			if err != nil {
				t.Fatal(err)
			}
			if d := info.DurationMs - 2345; d < 0 || d > 60 {
				t.Errorf("DurationMs = %d, want 2345..2405", info.DurationMs)
			}
			if info.Title != "T" || info.SampleRate != 44100 || info.Bitrate <= 0 {
				t.Errorf("got %+v", info)
			}
		})
	}
}
