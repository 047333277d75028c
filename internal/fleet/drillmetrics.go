package fleet

import "github.com/prometheus/client_golang/prometheus"

// Drill metric names (docs/drills.md), exported when drills are judged.
const (
	MetricDrillState    = "clusterbackup_fleet_cluster_drill"
	MetricDrillFinished = "clusterbackup_fleet_last_drill_timestamp_seconds"
	MetricDrillRTO      = "clusterbackup_fleet_drill_rto_seconds"
	MetricDrillRPO      = "clusterbackup_fleet_drill_rpo_seconds"
)

// DrillMetricNames lists the drill metrics.
var DrillMetricNames = []string{MetricDrillState, MetricDrillFinished, MetricDrillRTO, MetricDrillRPO}

var (
	descDrillState = prometheus.NewDesc(MetricDrillState,
		"1 for the cluster's current restore drill state (verified, drill-failed, drill-stale, never-drilled), 0 for the others; read from the signed drill records.",
		[]string{"project", "cluster", "state"}, nil)
	descDrillFinished = prometheus.NewDesc(MetricDrillFinished,
		"When the cluster's newest verified drill record says the drill finished, in seconds since the epoch.",
		[]string{"project", "cluster"}, nil)
	descDrillRTO = prometheus.NewDesc(MetricDrillRTO,
		"Restore duration of the cluster's newest verified drill, in seconds.",
		[]string{"project", "cluster"}, nil)
	descDrillRPO = prometheus.NewDesc(MetricDrillRPO,
		"Age of the backup the cluster's newest verified drill restored, in seconds.",
		[]string{"project", "cluster"}, nil)
)

// describeDrills sends the drill descriptors.
func describeDrills(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDrillState, descDrillFinished, descDrillRTO, descDrillRPO} {
		ch <- d
	}
}

// collectDrills exports one cluster's drill state.
func collectDrills(ch chan<- prometheus.Metric, s Status) {
	d := s.Drill
	if d == nil {
		return
	}
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	for _, st := range DrillStates {
		v := 0.0
		if d.State == st {
			v = 1
		}
		gauge(descDrillState, v, s.ProjectID, s.ClusterID, string(st))
	}
	if d.Finished != nil {
		gauge(descDrillFinished, float64(d.Finished.Unix()), s.ProjectID, s.ClusterID)
		gauge(descDrillRTO, d.RTOSeconds, s.ProjectID, s.ClusterID)
		gauge(descDrillRPO, d.RPOSeconds, s.ProjectID, s.ClusterID)
	}
}
