package seed

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// Metrics of the seed webhooks and the status loop. Review latency comes
// from controller-runtime's controller_runtime_webhook_latency_seconds.
type Metrics struct {
	// Reviews counts answered reviews by webhook (cbsl, cluster), operation
	// and outcome (allowed, warned, denied, invalid, errored).
	Reviews *prometheus.CounterVec
	// Checks counts reachability results by source (admission, status),
	// class and whether the cache answered.
	Checks *prometheus.CounterVec
	// CheckSeconds observes the duration of checks that talked to an
	// endpoint (cache misses).
	CheckSeconds prometheus.Histogram
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered). Collectors already registered under the same name are
// reused, so several managers in one process share them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clusterbackup_seed_reviews_total",
			Help: "Seed admission reviews answered, by webhook (cbsl, cluster), operation and outcome (allowed, warned, denied, invalid, errored).",
		}, []string{"webhook", "operation", "outcome"}),
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
		m.Reviews = metricsreg.Register(reg, m.Reviews)
		m.Checks = metricsreg.Register(reg, m.Checks)
		m.CheckSeconds = metricsreg.Register(reg, m.CheckSeconds)
	}
	return m
}

// review counts one answered review; m may be nil.
func (m *Metrics) review(webhook, op, outcome string) {
	if m != nil {
		m.Reviews.WithLabelValues(webhook, op, outcome).Inc()
	}
}

// check counts one reachability result; m may be nil.
func (m *Metrics) check(source string, r *s3check.Result) {
	if m == nil || r == nil {
		return
	}
	m.Checks.WithLabelValues(source, string(r.Class), strconv.FormatBool(r.Cached)).Inc()
	if !r.Cached {
		m.CheckSeconds.Observe(r.Duration.Seconds())
	}
}
