package release

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
)

// Metric names the loop exports.
const (
	MetricState         = "clusterbackup_release_state"
	MetricVeleroVersion = "clusterbackup_release_velero_version_info"
	MetricLastSuccess   = "clusterbackup_release_last_success_timestamp_seconds"
	MetricApplies       = "clusterbackup_release_applies_total"
)

// MetricNames lists every metric the loop exports.
var MetricNames = []string{MetricState, MetricVeleroVersion, MetricLastSuccess, MetricApplies}

// Results of MetricApplies.
const (
	ResultApplied   = "applied"
	ResultUnchanged = "unchanged"
	ResultSkipped   = "skipped"
	ResultFailed    = "failed"
)

// Metrics of the release loop. No label or value holds a secret.
type Metrics struct {
	// State is 1 for a cluster's current phase and 0 for the others.
	State *prometheus.GaugeVec
	// VeleroVersion is 1 for the Velero version rendered for a cluster.
	VeleroVersion *prometheus.GaugeVec
	// LastSuccess is when a cluster was last found or left holding its
	// current release (Unix seconds).
	LastSuccess *prometheus.GaugeVec
	// Applies counts reconciles by result (applied, unchanged, skipped,
	// failed).
	Applies *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered); collectors already registered under the same names are
// reused.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		State: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricState,
			Help: "1 for the current state of a cluster's Velero release (pending, applied, disabled, skipped, failed), 0 for the others; the reason is in the Cluster's Events.",
		}, []string{"cluster", "project", "state"}),
		VeleroVersion: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricVeleroVersion,
			Help: "1 for the Velero version rendered into a user cluster by the release loop.",
		}, []string{"cluster", "version"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricLastSuccess,
			Help: "Unix time the release loop last found or left the user cluster holding its current release.",
		}, []string{"cluster"}),
		Applies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricApplies,
			Help: "Release loop reconciles by result (applied, unchanged, skipped, failed).",
		}, []string{"result"}),
	}
	if reg != nil {
		m.State = metricsreg.Register(reg, m.State)
		m.VeleroVersion = metricsreg.Register(reg, m.VeleroVersion)
		m.LastSuccess = metricsreg.Register(reg, m.LastSuccess)
		m.Applies = metricsreg.Register(reg, m.Applies)
	}
	return m
}

// set exports a cluster's state s; prev is the one exported before (its
// series go when the project or version label changes).
func (m *Metrics) set(prev, s State) {
	if m == nil {
		return
	}
	if prev.Project != s.Project {
		m.State.DeletePartialMatch(prometheus.Labels{"cluster": s.Cluster})
	}
	for _, p := range Phases {
		v := 0.0
		if p == s.Phase {
			v = 1
		}
		m.State.WithLabelValues(s.Cluster, s.Project, string(p)).Set(v)
	}
	if prev.VeleroVersion != s.VeleroVersion {
		m.VeleroVersion.DeletePartialMatch(prometheus.Labels{"cluster": s.Cluster})
	}
	if s.VeleroVersion != "" {
		m.VeleroVersion.WithLabelValues(s.Cluster, s.VeleroVersion).Set(1)
	}
	if !s.LastSuccess.IsZero() {
		m.LastSuccess.WithLabelValues(s.Cluster).Set(float64(s.LastSuccess.UnixNano()) / 1e9)
	}
}

// drop removes a cluster's series.
func (m *Metrics) drop(cluster string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"cluster": cluster}
	m.State.DeletePartialMatch(l)
	m.VeleroVersion.DeletePartialMatch(l)
	m.LastSuccess.DeletePartialMatch(l)
}

// result counts one reconcile.
func (m *Metrics) result(r string) {
	if m != nil {
		m.Applies.WithLabelValues(r).Inc()
	}
}
