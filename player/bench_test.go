package player

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDecode decodes 30 s of pink noise per format, through the same
// path as playback (trim, resample, gain), and ffmpeg decodes the same file
// to null in the same run. Metrics: x_realtime (ours), ffmpeg_x_realtime,
// and vs_ffmpeg (ours / ffmpeg's speed).
func BenchmarkDecode(b *testing.B) {
	const secs = 30
	dir := b.TempDir()
	for _, format := range allFormats {
		path := makeAudio(b, dir, format, "anoisesrc=color=pink:amplitude=0.3", 44100, secs*1000)
		b.Run(format, func(b *testing.B) {
			ffmpegTime := timeFFmpeg(b, path)
			buf := make([][2]float64, chunkFrames)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				tr, err := openTrack(Track{Path: path}, trackConfig{rate: 44100})
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, ok, err := tr.read(buf)
					if err != nil {
						b.Fatal(err)
					}
					if !ok {
						break
					}
				}
				tr.close()
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(secs/per.Seconds(), "x_realtime")
			b.ReportMetric(secs/ffmpegTime.Seconds(), "ffmpeg_x_realtime")
			b.ReportMetric(ffmpegTime.Seconds()/per.Seconds(), "vs_ffmpeg")
		})
	}
}

// timeFFmpeg is the best of three `ffmpeg -i FILE -f null -` runs.
func timeFFmpeg(b *testing.B, path string) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-threads", "1",
			"-i", path, "-f", "null", "-").CombinedOutput()
		if err != nil {
			b.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkPlayMP3Null plays 10 s of a 320 kbps MP3 through the real-time
// null output and reports the process's CPU time as a share of one core
// (cpu_%). Goal: at most 2 %.
func BenchmarkPlayMP3Null(b *testing.B) {
	const secs = 10
	path := filepath.Join(b.TempDir(), "320k.mp3")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi",
		"-i", fmt.Sprintf("anoisesrc=color=pink:amplitude=0.3:sample_rate=44100:duration=%d", secs),
		"-ac", "2", "-c:a", "libmp3lame", "-b:a", "320k", path).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b.ResetTimer()
	var cpu, wall time.Duration
	for range b.N {
		e := New(&Null{Realtime: true}, Options{})
		e.SetQueue([]Track{{Path: path}})
		e.Play(0)
		c0, w0 := cpuTime(), time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Run(ctx) }()
		for ev := range e.Events() {
			if ev.Type == EventState && ev.State == StateStopped {
				break
			}
		}
		cancel()
		<-done
		cpu += cpuTime() - c0
		wall += time.Since(w0)
	}
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu_%")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
