package admit

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
)

// Metrics count admission outcomes per webhook and per rule. Latency comes
// from controller-runtime's controller_runtime_webhook_latency_seconds.
type Metrics struct {
	// Reviews counts reviews by webhook, operation and outcome
	// (allowed, patched, denied, errored).
	Reviews *prometheus.CounterVec
	// Violations counts denials by webhook, field and error type, one per
	// field error: which rule fired how often.
	Violations *prometheus.CounterVec
	// Warnings counts warnings returned, by webhook.
	Warnings *prometheus.CounterVec
}

// NewMetrics creates the counters and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clusterbackup_webhook_reviews_total",
			Help: "Admission reviews answered, by webhook, operation and outcome (allowed, patched, denied, errored).",
		}, []string{"webhook", "operation", "outcome"}),
		Violations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clusterbackup_webhook_rule_violations_total",
			Help: "Field errors in denied reviews, by webhook, field path and error type: which rule fired.",
		}, []string{"webhook", "field", "type"}),
		Warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clusterbackup_webhook_warnings_total",
			Help: "Admission warnings returned, by webhook.",
		}, []string{"webhook"}),
	}
	if reg != nil {
		m.Reviews = metricsreg.Register(reg, m.Reviews)
		m.Violations = metricsreg.Register(reg, m.Violations)
		m.Warnings = metricsreg.Register(reg, m.Warnings)
	}
	return m
}

// indexes matches list indexes and map keys in field paths, which would
// make label values unbounded.
var indexes = regexp.MustCompile(`\[[^\]]*\]`)

// observe records one answered review.
func (m *Metrics) observe(hook string, req admission.Request, resp admission.Response, errs field.ErrorList) {
	if m == nil {
		return
	}
	m.Reviews.WithLabelValues(hook, metricsreg.OperationLabel(string(req.Operation)), Outcome(resp)).Inc()
	for _, e := range errs {
		m.Violations.WithLabelValues(hook, indexes.ReplaceAllString(e.Field, "[*]"), string(e.Type)).Inc()
	}
	if n := len(resp.Warnings); n > 0 {
		m.Warnings.WithLabelValues(hook).Add(float64(n))
	}
}
