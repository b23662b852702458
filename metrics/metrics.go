// Package metrics exposes the daemon's state and history to Prometheus.
// The daemon calls plain methods as things happen; Handler serves them in
// the text exposition format. Everything lives in the Metrics' own
// registry, never the global default one, so two daemons in one test
// process do not collide.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values known up front, so their series exist (at 0) from the first
// scrape and a query never sees a gap where a state was merely unvisited.
var (
	playbackStates = []string{"stopped", "playing", "paused"}
	sources        = []string{"none", "local", "spotify"}
	connectivities = []string{"unknown", "online", "degraded", "offline", "recovering", "not_linked"}
)

// Metrics holds every tapedeck_ metric. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	playback     *oneHot
	source       *oneHot
	connectivity *oneHot

	outages       *prometheus.CounterVec
	outageSeconds prometheus.Counter
	outageActive  prometheus.Gauge
	failover      prometheus.Histogram
	requests      *prometheus.CounterVec
	tracks        prometheus.Gauge
	coverage      *coverageCollector
	scanDuration  prometheus.Histogram
	scans         *prometheus.CounterVec
	syncDuration  prometheus.Histogram
	syncs         *prometheus.CounterVec
}

// New builds the metrics in a fresh registry that also holds the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.playback = newOneHot(m.reg, "tapedeck_playback_state", "1 for the local player's current state, 0 for the others.", "state", playbackStates)
	m.source = newOneHot(m.reg, "tapedeck_playback_source", "1 for what is playing the listener's music (spotify, local, none), 0 for the others.", "source", sources)
	m.connectivity = newOneHot(m.reg, "tapedeck_spotify_connectivity", "1 for Spotify's current connectivity state as the outage monitor judges it, 0 for the others.", "state", connectivities)
	m.outages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tapedeck_outages_total", Help: "Spotify outages detected, by kind of cause.",
	}, []string{"cause"})
	m.outageSeconds = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tapedeck_outage_seconds_total", Help: "Time Spotify was unreachable, counted when each outage ends.",
	})
	m.outageActive = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tapedeck_outage_active", Help: "1 while an outage is in progress.",
	})
	m.failover = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "tapedeck_failover_latency_seconds", Help: "From the outage's detection to local playback starting.",
		Buckets: []float64{0.25, 0.5, 1, 2, 3, 5, 7.5, 10},
	})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tapedeck_spotify_requests_total",
		Help: "Spotify Web API requests (each attempt, retries included) by method, endpoint (ids replaced by {id}) and status (\"error\" when no answer came).",
	}, []string{"method", "endpoint", "status"})
	m.tracks = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tapedeck_library_tracks", Help: "Tracks in the local index after the last scan.",
	})
	m.coverage = &coverageCollector{desc: prometheus.NewDesc("tapedeck_playlist_offline_coverage_ratio",
		"Share of a synced playlist's entries that have a local copy (0 to 1).", []string{"playlist", "name"}, nil)}
	m.scanDuration, m.scans = durationAndCount("scan", "Library scans")
	m.syncDuration, m.syncs = durationAndCount("sync", "Spotify syncs")
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.outages, m.outageSeconds, m.outageActive, m.failover, m.requests, m.tracks, m.coverage,
		m.scanDuration, m.scans, m.syncDuration, m.syncs,
	)
	for _, r := range []string{"ok", "error"} {
		m.scans.WithLabelValues(r)
		m.syncs.WithLabelValues(r)
	}
	m.SetPlayback("stopped", "none")
	m.SetConnectivity("unknown")
	return m
}

// durationAndCount builds tapedeck_<what>_duration_seconds and
// tapedeck_<what>s_total{result}.
func durationAndCount(what, help string) (prometheus.Histogram, *prometheus.CounterVec) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "tapedeck_" + what + "_duration_seconds", Help: help + ": how long each took, failed ones included.",
		Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900},
	})
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tapedeck_" + what + "s_total", Help: help + " finished, by result (ok, error, canceled).",
	}, []string{"result"})
	return h, c
}

// Registry is the registry behind Handler, for adding collectors of one's
// own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text format. It does no access
// control: mount it behind the API's checks (api.Options.Metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// SetPlayback records the local player's state (stopped, playing, paused)
// and the playback source (spotify, local, none).
func (m *Metrics) SetPlayback(state, source string) {
	m.playback.set(state)
	m.source.set(source)
}

// SetConnectivity records Spotify's connectivity state (a failover.State).
func (m *Metrics) SetConnectivity(state string) {
	m.connectivity.set(state)
}

// OutageStarted counts an outage. The cause is the monitor's free text
// (which can hold host names and error messages); it is reduced to a
// fixed set of kinds so the label stays bounded.
func (m *Metrics) OutageStarted(cause string) {
	m.outages.WithLabelValues(CauseKind(cause)).Inc()
	m.outageActive.Set(1)
}

// OutageEnded adds an outage's length to tapedeck_outage_seconds_total.
func (m *Metrics) OutageEnded(d time.Duration) {
	if d > 0 {
		m.outageSeconds.Add(d.Seconds())
	}
	m.outageActive.Set(0)
}

// ObserveFailover records how long a fail-over to local files took.
func (m *Metrics) ObserveFailover(d time.Duration) { m.failover.Observe(d.Seconds()) }

// SetLibraryTracks records how many tracks the index holds.
func (m *Metrics) SetLibraryTracks(n int) { m.tracks.Set(float64(n)) }

// ObserveScan records a finished library scan.
func (m *Metrics) ObserveScan(d time.Duration, err error) {
	m.scanDuration.Observe(d.Seconds())
	m.scans.WithLabelValues(result(err)).Inc()
}

// ObserveSync records a finished Spotify sync.
func (m *Metrics) ObserveSync(d time.Duration, err error) {
	m.syncDuration.Observe(d.Seconds())
	m.syncs.WithLabelValues(result(err)).Inc()
}

func result(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

// causeKinds maps a prefix of the monitor's cause text (failover.Classify
// and its judge) to a label value. The first match wins.
var causeKinds = []struct{ prefix, kind string }{
	{"DNS", "dns"},
	{"connection refused", "connection_refused"},
	{"connection reset", "connection_reset"},
	{"connection closed", "connection_closed"},
	{"network unreachable", "network_unreachable"},
	{"TLS", "tls"},
	{"timeout", "timeout"},
	{"HTTP 5", "http_5xx"},
	{"no answer", "no_answer"},
	{"device gone", "device_gone"},
	{"stalled", "stalled"},
	{"progress falling behind", "lagging"},
	{"login revoked", "login_revoked"},
}

// CauseKind reduces an outage cause to one of a fixed set of label values
// ("other" when none fits).
func CauseKind(cause string) string {
	for _, c := range causeKinds {
		if strings.HasPrefix(cause, c.prefix) {
			return c.kind
		}
	}
	return "other"
}

// oneHot is a gauge with one label where exactly one value is 1. It is a
// collector rather than a GaugeVec because a scrape reads a vector's
// series one at a time and could catch the 1 in two places mid-change.
type oneHot struct {
	desc    *prometheus.Desc
	mu      gosync.Mutex
	values  []string // known values, then others in order of first use
	current string
}

func newOneHot(reg *prometheus.Registry, name, help, label string, known []string) *oneHot {
	o := &oneHot{desc: prometheus.NewDesc(name, help, []string{label}, nil), values: slices.Clone(known)}
	reg.MustRegister(o)
	return o
}

// set moves the 1 to v ("" leaves it where it is).
func (o *oneHot) set(v string) {
	if v == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !slices.Contains(o.values, v) {
		o.values = append(o.values, v)
	}
	o.current = v
}

func (o *oneHot) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *oneHot) Collect(ch chan<- prometheus.Metric) {
	o.mu.Lock()
	values, current := o.values, o.current
	o.mu.Unlock()
	for _, v := range values {
		x := 0.0
		if v == current {
			x = 1
		}
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, x, v)
	}
}
