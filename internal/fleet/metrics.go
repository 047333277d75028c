package fleet

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
)

// Metric names the Collector exports (docs/fleet.md; the PrometheusRule
// and the Grafana dashboard in charts/velero-managed use only these).
const (
	MetricVerdict           = "clusterbackup_fleet_cluster_verdict"
	MetricLastSuccess       = "clusterbackup_fleet_last_successful_backup_timestamp_seconds"
	MetricLastFailure       = "clusterbackup_fleet_last_failed_backup_timestamp_seconds"
	MetricDue               = "clusterbackup_fleet_backup_due_timestamp_seconds"
	MetricExpectedInterval  = "clusterbackup_fleet_expected_interval_seconds"
	MetricBackups           = "clusterbackup_fleet_backups"
	MetricStored            = "clusterbackup_fleet_backups_stored"
	MetricClusters          = "clusterbackup_fleet_clusters"
	MetricInventoryTime     = "clusterbackup_fleet_inventory_timestamp_seconds"
	MetricInventoryDuration = "clusterbackup_fleet_inventory_duration_seconds"
	MetricInventoryRequests = "clusterbackup_fleet_inventory_requests"
)

// MetricNames lists every metric the Collector exports.
var MetricNames = []string{
	MetricVerdict, MetricLastSuccess, MetricLastFailure, MetricDue, MetricExpectedInterval,
	MetricBackups, MetricStored, MetricClusters, MetricInventoryTime, MetricInventoryDuration, MetricInventoryRequests,
}

var (
	descVerdict = prometheus.NewDesc(MetricVerdict,
		"1 for the cluster's current backup verdict (protected, late, failing, never-backed-up, storage-unreachable, credentials-missing), 0 for the others.",
		[]string{"project", "cluster", "verdict"}, nil)
	descLastSuccess = prometheus.NewDesc(MetricLastSuccess,
		"Completion time of the cluster's newest Completed backup, in seconds since the epoch (absent when there is none).",
		[]string{"project", "cluster"}, nil)
	descLastFailure = prometheus.NewDesc(MetricLastFailure,
		"Start time of the cluster's newest failed backup read (Failed, PartiallyFailed, FailedValidation), in seconds since the epoch.",
		[]string{"project", "cluster"}, nil)
	descDue = prometheus.NewDesc(MetricDue,
		"Time by which the cluster's Schedules should have started a backup after the last success (grace included); later means late.",
		[]string{"project", "cluster"}, nil)
	descInterval = prometheus.NewDesc(MetricExpectedInterval,
		"Shortest interval of the cluster's unpaused Schedules (the unscheduled default without any), in seconds.",
		[]string{"project", "cluster"}, nil)
	descBackups = prometheus.NewDesc(MetricBackups,
		"Backups whose metadata the last inventory read (the newest ones), by phase.",
		[]string{"project", "cluster", "phase"}, nil)
	descStored = prometheus.NewDesc(MetricStored,
		"Backups stored under the cluster's prefix (folders under backups/).",
		[]string{"project", "cluster"}, nil)
	descClusters = prometheus.NewDesc(MetricClusters,
		"Clusters by verdict in the last inventory.",
		[]string{"verdict"}, nil)
	descInvTime = prometheus.NewDesc(MetricInventoryTime,
		"When the last inventory judged the fleet, in seconds since the epoch.", nil, nil)
	descInvDuration = prometheus.NewDesc(MetricInventoryDuration,
		"How long the last inventory took, in seconds.", nil, nil)
	descInvRequests = prometheus.NewDesc(MetricInventoryRequests,
		"HTTP requests the last inventory made to object storage.", nil, nil)
)

// metricPhases are the phases exported by MetricBackups (0 included), so
// that a phase that disappears reads 0 rather than vanishing.
var metricPhases = []velerov1.BackupPhase{
	velerov1.BackupPhaseCompleted, velerov1.BackupPhasePartiallyFailed, velerov1.BackupPhaseFailed,
	velerov1.BackupPhaseFailedValidation, velerov1.BackupPhaseInProgress, velerov1.BackupPhaseNew,
	velerov1.BackupPhaseWaitingForPluginOperations, velerov1.BackupPhaseFinalizing, PhaseMissing, PhaseUnreadable, PhaseUnknown,
}

// Collector exports the newest Report as Prometheus metrics. It is safe for
// concurrent use; Set replaces the report atomically.
type Collector struct {
	mu       sync.RWMutex
	report   *Report
	duration float64
}

// NewCollector returns a Collector without a report (it exports nothing
// until the first Set).
func NewCollector() *Collector { return &Collector{} }

// Set replaces the exported report; seconds is how long the inventory took.
func (c *Collector) Set(r *Report, seconds float64) {
	c.mu.Lock()
	c.report, c.duration = r, seconds
	c.mu.Unlock()
}

// Report returns the exported report, or nil.
func (c *Collector) Report() *Report {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.report
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descVerdict, descLastSuccess, descLastFailure, descDue, descInterval, descBackups, descStored, descClusters, descInvTime, descInvDuration, descInvRequests} {
		ch <- d
	}
	describeDrills(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	r, took := c.report, c.duration
	c.mu.RUnlock()
	if r == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	var requests int64
	for _, s := range r.Clusters {
		p, cl := s.ProjectID, s.ClusterID
		requests += s.Requests
		for _, v := range Verdicts {
			val := 0.0
			if s.Verdict == v {
				val = 1
			}
			gauge(descVerdict, val, p, cl, string(v))
		}
		if b := s.LastSuccess; b != nil {
			at := b.time()
			if b.Completed != nil {
				at = *b.Completed
			}
			gauge(descLastSuccess, float64(at.Unix()), p, cl)
		}
		if b := s.LastFailure; b != nil {
			gauge(descLastFailure, float64(b.time().Unix()), p, cl)
		}
		if s.Due != nil {
			gauge(descDue, float64(s.Due.Unix()), p, cl)
		}
		gauge(descInterval, s.ExpectedInterval.Seconds(), p, cl)
		if s.Verdict != Unreachable && s.Verdict != CredentialsMissing {
			for _, ph := range metricPhases {
				gauge(descBackups, float64(s.Phases[ph]), p, cl, string(ph))
			}
			gauge(descStored, float64(s.Stored), p, cl)
		}
		collectDrills(ch, s)
	}
	for _, v := range Verdicts {
		gauge(descClusters, float64(r.Summary[v]), string(v))
	}
	gauge(descInvTime, float64(r.GeneratedAt.Unix()), nil...)
	gauge(descInvDuration, took)
	gauge(descInvRequests, float64(requests))
}
