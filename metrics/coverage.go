package metrics

import (
	gosync "sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Coverage is one synced playlist's offline coverage: how many of its
// entries have a local copy (cache.Playlist's Playable and Items).
type Coverage struct {
	ID       string
	Name     string
	Playable int
	Items    int
}

// SetCoverage replaces the coverage of every playlist at once, so a
// deleted or renamed playlist leaves no stale series and a scrape never
// sees a half-written list.
func (m *Metrics) SetCoverage(playlists []Coverage) {
	m.coverage.set(append([]Coverage(nil), playlists...))
}

// coverageCollector serves a snapshot rather than a GaugeVec: replacing
// the whole list is one assignment under its lock.
type coverageCollector struct {
	desc *prometheus.Desc
	mu   gosync.Mutex
	list []Coverage
}

func (c *coverageCollector) set(list []Coverage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = list
}

func (c *coverageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *coverageCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	list := c.list
	c.mu.Unlock()
	seen := make(map[string]bool, len(list))
	for _, p := range list {
		if seen[p.ID] { // a duplicate would fail the whole scrape
			continue
		}
		seen[p.ID] = true
		ratio := 0.0
		if p.Items > 0 {
			ratio = float64(p.Playable) / float64(p.Items)
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, ratio, p.ID, p.Name)
	}
}
