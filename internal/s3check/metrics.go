package s3check

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
)

// Metrics count reachability results, for every process that checks CBSLs
// (the seed webhook at admission, the CBSL status loop).
type Metrics struct {
	// Checks counts reachability results by source (admission, status),
	// class and whether the cache answered.
	Checks *prometheus.CounterVec
	// CheckSeconds observes the duration of checks that talked to an
	// endpoint (cache misses).
	CheckSeconds prometheus.Histogram
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered). Collectors already registered under the same names are
// reused, so several servers in one process share them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clusterbackup_cbsl_check_results_total",
			Help: "CBSL reachability results, by source (admission, status), class (OK or the failure class) and whether the cache answered.",
		}, []string{"source", "class", "cached"}),
		CheckSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clusterbackup_cbsl_check_duration_seconds",
			Help:    "Duration of CBSL reachability checks that reached out to the endpoint (cache misses).",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10},
		}),
	}
	if reg != nil {
		m.Checks = metricsreg.Register(reg, m.Checks)
		m.CheckSeconds = metricsreg.Register(reg, m.CheckSeconds)
	}
	return m
}

// Observe counts one reachability result from source; m and r may be nil.
func (m *Metrics) Observe(source string, r *Result) {
	if m == nil || r == nil {
		return
	}
	m.Checks.WithLabelValues(source, string(r.Class), strconv.FormatBool(r.Cached)).Inc()
	if !r.Cached {
		m.CheckSeconds.Observe(r.Duration.Seconds())
	}
}
