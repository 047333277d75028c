package credentials

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
)

// Metrics of the credentials loop. No label or value holds a secret.
type Metrics struct {
	// Current is 1 for a cluster whose user cluster holds the current
	// credentials and the seed's repository password, 0 otherwise; a
	// cluster without a backup location has no series.
	Current *prometheus.GaugeVec
	// Syncs counts reconciles by result (unchanged, updated, failed).
	Syncs *prometheus.CounterVec
	// Default is 1 for a cluster whose Velero keeps Velero's published
	// default repository password (adopted, or kept because a Kopia
	// repository in the bucket needs it), 0 otherwise.
	Default *prometheus.GaugeVec
	// Shared is, per cluster, how many other clusters the loop gives the
	// same access key (0: the key is the cluster's alone).
	Shared *prometheus.GaugeVec
	// Confined is 1 for a cluster whose dedicated key could list neither
	// the bucket root nor a sibling of its prefix, 0 when it could; no
	// series without a dedicated key or when the probe could not run.
	Confined *prometheus.GaugeVec
}

// Metric names the loop exports.
const (
	MetricCurrent  = "clusterbackup_cluster_credentials_current"
	MetricSyncs    = "clusterbackup_cluster_credentials_syncs_total"
	MetricDefault  = "clusterbackup_cluster_repository_password_default"
	MetricShared   = "clusterbackup_cluster_credentials_shared"
	MetricConfined = "clusterbackup_cluster_credentials_confined"
)

// MetricNames lists every metric the loop exports (the seed monitoring
// chart's alerts may use only these and the fleet's).
var MetricNames = []string{MetricCurrent, MetricSyncs, MetricDefault, MetricShared, MetricConfined}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered); collectors already registered under the same names are
// reused.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Current: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricCurrent,
			Help: "1 when the user cluster holds the current storage credentials and its repository password from the seed, 0 when not (reason: the Warning Events of the Cluster).",
		}, []string{"cluster", "project"}),
		Syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricSyncs,
			Help: "Credentials loop reconciles by result (unchanged, updated, failed).",
		}, []string{"result"}),
		Default: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricDefault,
			Help: "1 when the user cluster's Velero keeps Velero's published default repository password (adopted, or kept because a Kopia repository in the bucket does not open with the seed's), 0 when it has its own.",
		}, []string{"cluster", "project"}),
		Shared: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricShared,
			Help: "How many other clusters the credentials loop gives the same storage access key (0: the cluster's own); a cluster-admin of one can read the others' backups.",
		}, []string{"cluster", "project"}),
		Confined: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricConfined,
			Help: "1 when a cluster's dedicated storage key could list neither the bucket root nor a sibling of its prefix, 0 when it could; no series without a dedicated key.",
		}, []string{"cluster", "project"}),
	}
	if reg != nil {
		m.Current = metricsreg.Register(reg, m.Current)
		m.Syncs = metricsreg.Register(reg, m.Syncs)
		m.Default = metricsreg.Register(reg, m.Default)
		m.Shared = metricsreg.Register(reg, m.Shared)
		m.Confined = metricsreg.Register(reg, m.Confined)
	}
	return m
}

func (m *Metrics) set(cluster, project string, current bool) {
	if m != nil {
		setBool(m.Current, cluster, project, current)
	}
}

func (m *Metrics) setDefault(cluster, project string, onDefault bool) {
	if m != nil {
		setBool(m.Default, cluster, project, onDefault)
	}
}

func (m *Metrics) drop(cluster string) {
	if m != nil {
		m.Current.DeletePartialMatch(prometheus.Labels{"cluster": cluster})
		m.Default.DeletePartialMatch(prometheus.Labels{"cluster": cluster})
		m.Shared.DeletePartialMatch(prometheus.Labels{"cluster": cluster})
		m.Confined.DeletePartialMatch(prometheus.Labels{"cluster": cluster})
	}
}

func (m *Metrics) setShared(cluster, project string, others int) {
	if m != nil {
		m.Shared.WithLabelValues(cluster, project).Set(float64(others))
	}
}

func (m *Metrics) setConfined(cluster, project string, confined bool) {
	if m != nil {
		setBool(m.Confined, cluster, project, confined)
	}
}

// setBool sets a cluster's 0/1 gauge.
func setBool(g *prometheus.GaugeVec, cluster, project string, b bool) {
	v := 0.0
	if b {
		v = 1
	}
	g.WithLabelValues(cluster, project).Set(v)
}

func (m *Metrics) dropConfined(cluster string) {
	if m != nil {
		m.Confined.DeletePartialMatch(prometheus.Labels{"cluster": cluster})
	}
}

func (m *Metrics) sync(result string) {
	if m != nil {
		m.Syncs.WithLabelValues(result).Inc()
	}
}
