package media_test

import (
	"testing"

	"github.com/tapedeck/tapedeck/internal/fixture"
	"github.com/tapedeck/tapedeck/media"
)

func BenchmarkProbe(b *testing.B) {
	dir := b.TempDir()
	for _, format := range append(fixture.Formats, "mp3-noxing", "mp3-vbr-noxing") {
		tags := fullTags
		tags.FFmpegOnly = format != fixture.Formats[0] && len(format) > 3 && format[:3] == "mp3"
		path := fixture.Make(b, dir, format, format, 180000, tags)
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				if _, err := media.Probe(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
