package seed

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// Metrics of the seed webhooks. Review latency comes from
// controller-runtime's controller_runtime_webhook_latency_seconds.
type Metrics struct {
	// Reviews counts answered reviews by webhook (cbsl, cluster), operation
	// and outcome (allowed, warned, denied, invalid, errored).
	Reviews *prometheus.CounterVec
	// Checks count the reachability results of admission checks.
	*s3check.Metrics
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
		Metrics: s3check.NewMetrics(reg),
	}
	if reg != nil {
		m.Reviews = metricsreg.Register(reg, m.Reviews)
	}
	return m
}

// review counts one answered review; m may be nil.
func (m *Metrics) review(webhook, op, outcome string) {
	if m != nil {
		m.Reviews.WithLabelValues(webhook, op, outcome).Inc()
	}
}

// check counts one admission reachability result; m may be nil.
func (m *Metrics) check(r *s3check.Result) {
	if m != nil {
		m.Observe("admission", r)
	}
}
