package seed

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
)

// Metrics of the seed webhooks: the reviews in the same series as the
// user-cluster webhooks (clusterbackup_webhook_reviews_total and its
// siblings, webhook mutate-cbsl, validate-cbsl or validate-cluster), and the
// reachability checks run at admission. Review latency comes from
// controller-runtime's controller_runtime_webhook_latency_seconds.
type Metrics struct {
	// Reviews count answered reviews, rule violations and warnings.
	Reviews *admit.Metrics
	// Checks count the reachability results of admission checks.
	Checks *s3check.Metrics
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered). Collectors already registered under the same name are
// reused, so several managers in one process share them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{Reviews: admit.NewMetrics(reg), Checks: s3check.NewMetrics(reg)}
}

// reviews is m's review metrics; m may be nil.
func (m *Metrics) reviews() *admit.Metrics {
	if m == nil {
		return nil
	}
	return m.Reviews
}

// check counts one admission reachability result; m may be nil.
func (m *Metrics) check(r *s3check.Result) {
	if m != nil {
		m.Checks.Observe("admission", r)
	}
}
