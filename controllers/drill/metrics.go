package drill

import (
	"github.com/prometheus/client_golang/prometheus"

	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
)

// Metric names the drill loop exports (on the leader; the fleet inventory
// exports the drill state read from the records on every replica).
const (
	MetricLast        = "clusterbackup_drill_last_timestamp_seconds"
	MetricLastPassed  = "clusterbackup_drill_last_passed_timestamp_seconds"
	MetricOutcome     = "clusterbackup_drill_outcome"
	MetricRTO         = "clusterbackup_drill_rto_seconds"
	MetricRPO         = "clusterbackup_drill_rpo_seconds"
	MetricRunning     = "clusterbackup_drills_running"
	MetricDrillsTotal = "clusterbackup_drills_total"
)

// Metrics of the drill loop. No label or value holds a secret.
type Metrics struct {
	Last, LastPassed, RTO, RPO *prometheus.GaugeVec
	// Outcome is 1 for the last drill's outcome (passed, failed), 0 for
	// the other.
	Outcome *prometheus.GaugeVec
	// Running counts the drills running now.
	Running prometheus.Gauge
	// Total counts drills by outcome (passed, failed, error: no record).
	Total *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered), reusing collectors already registered under the same names.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	pc := []string{"project", "cluster"}
	g := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		Last:       g(MetricLast, "Unix time the cluster's last drill finished.", pc),
		LastPassed: g(MetricLastPassed, "Unix time the cluster's last passed drill finished.", pc),
		RTO:        g(MetricRTO, "Duration of the last drill's restore (Restore created to finished), seconds.", pc),
		RPO:        g(MetricRPO, "Age of the backup the last drill restored, when it started, seconds.", pc),
		Outcome:    g(MetricOutcome, "1 for the outcome of the cluster's last drill (passed, failed), 0 for the other.", append(pc, "outcome")),
		Running:    prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricRunning, Help: "Restore drills running now."}),
		Total:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricDrillsTotal, Help: "Restore drills by outcome (passed, failed; error: no record written)."}, []string{"outcome"}),
	}
	if reg != nil {
		m.Last = metricsreg.Register(reg, m.Last)
		m.LastPassed = metricsreg.Register(reg, m.LastPassed)
		m.RTO = metricsreg.Register(reg, m.RTO)
		m.RPO = metricsreg.Register(reg, m.RPO)
		m.Outcome = metricsreg.Register(reg, m.Outcome)
		m.Running = metricsreg.Register(reg, m.Running)
		m.Total = metricsreg.Register(reg, m.Total)
	}
	return m
}

// observe records a finished drill.
func (m *Metrics) observe(r *core.Record) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"project": r.ProjectID, "cluster": r.ClusterID}
	m.Last.With(l).Set(float64(r.Finished.Unix()))
	m.RTO.With(l).Set(r.RTOSeconds)
	m.RPO.With(l).Set(r.RPOSeconds)
	for _, o := range []core.Outcome{core.Passed, core.Failed} {
		v := 0.0
		if o == r.Outcome {
			v = 1
		}
		m.Outcome.WithLabelValues(r.ProjectID, r.ClusterID, string(o)).Set(v)
	}
	if r.Outcome == core.Passed {
		m.LastPassed.With(l).Set(float64(r.Finished.Unix()))
	}
	m.Total.WithLabelValues(string(r.Outcome)).Inc()
}

// forget drops a cluster's series (it is gone).
func (m *Metrics) forget(project, cluster string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"project": project, "cluster": cluster}
	for _, v := range []*prometheus.GaugeVec{m.Last, m.LastPassed, m.RTO, m.RPO, m.Outcome} {
		v.DeletePartialMatch(l)
	}
}
