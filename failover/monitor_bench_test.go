package failover

import (
	"testing"
	"time"
)

// BenchmarkObserve measures the poll path: a healthy playing poll, the
// common case, and a failed one.
func BenchmarkObserve(b *testing.B) {
	b.Run("playing", func(b *testing.B) {
		m := NewMonitor(Thresholds{})
		p := PlayerSnapshot{IsPlaying: true, TrackID: "t1", DeviceID: "d1", DevicePresent: true}
		o := Observation{Status: 200, Player: &p}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			d := time.Duration(i) * 2 * time.Second
			p.ProgressMs = d.Milliseconds() % 600_000
			o.Started, o.At = t0.Add(d), t0.Add(d+100*time.Millisecond)
			m.Observe(o)
		}
	})
	b.Run("failing", func(b *testing.B) {
		m := NewMonitor(Thresholds{})
		o := Observation{Err: errRefused}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			o.At = t0.Add(time.Duration(i) * time.Second)
			o.Started = o.At
			m.Observe(o)
		}
	})
}
