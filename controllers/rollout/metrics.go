package rollout

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
)

// Metric names the rollout exports (leader only, like the release loop's).
const (
	MetricState        = "clusterbackup_rollout_state"
	MetricWave         = "clusterbackup_rollout_wave"
	MetricGeneration   = "clusterbackup_rollout_generation_info"
	MetricClusters     = "clusterbackup_rollout_clusters"
	MetricGateFailures = "clusterbackup_rollout_gate_failures"
)

// ReasonHalted is the reason of the Warning Event recorded on each Cluster
// whose health gate halted a rollout.
const ReasonHalted = "RolloutHalted"

const (
	eventAction  = "Rollout"
	maxEventNote = 1000 // the API refuses notes over 1 kB
)

// MetricNames lists every metric the rollout exports.
var MetricNames = []string{MetricState, MetricWave, MetricGeneration, MetricClusters, MetricGateFailures}

// Metrics of the rollout. No label or value holds a secret.
type Metrics struct {
	// State is 1 for the rollout's phase, 0 for the others.
	State *prometheus.GaugeVec
	// Wave is the current wave (0: the canaries).
	Wave prometheus.Gauge
	// Generation is 1 for the good and the target configuration generation
	// (role label).
	Generation *prometheus.GaugeVec
	// Clusters counts clusters by the configuration generation last applied.
	Clusters *prometheus.GaugeVec
	// GateFailures is 1 for each cluster that halted the rollout, with the
	// reason.
	GateFailures *prometheus.GaugeVec
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered); collectors already registered are reused.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		State: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricState,
			Help: "1 for the state of the release rollout (complete, progressing, halted), 0 for the others."}, []string{"state"}),
		Wave: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricWave,
			Help: "Current wave of the release rollout (0: the canaries)."}),
		Generation: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricGeneration,
			Help: "1 for the good and the target render configuration generation of the release rollout."}, []string{"role", "generation"}),
		Clusters: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricClusters,
			Help: "Clusters by the render configuration generation last applied to them."}, []string{"generation"}),
		GateFailures: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricGateFailures,
			Help: "1 for each cluster whose health gate halted the release rollout, with the reason (image-pull, pod-not-ready, bsl-unavailable, apply-refused, not-applied, unreachable); the message is in the Cluster's RolloutHalted Event."}, []string{"cluster", "reason"}),
	}
	if reg != nil {
		m.State = metricsreg.Register(reg, m.State)
		m.Wave = metricsreg.Register(reg, m.Wave)
		m.Generation = metricsreg.Register(reg, m.Generation)
		m.Clusters = metricsreg.Register(reg, m.Clusters)
		m.GateFailures = metricsreg.Register(reg, m.GateFailures)
	}
	return m
}

// export sets every series from st and the release loop's states.
func (ro *Rollout) export(st state) {
	m := ro.metrics
	if m == nil {
		return
	}
	for _, p := range Phases {
		v := 0.0
		if p == st.Phase {
			v = 1
		}
		m.State.WithLabelValues(string(p)).Set(v)
	}
	m.Wave.Set(float64(st.Wave))
	m.Generation.Reset()
	m.Generation.WithLabelValues("good", st.Good.ID).Set(1)
	m.Generation.WithLabelValues("target", st.Target.ID).Set(1)
	counts := map[string]int{}
	for _, s := range ro.loop.States() {
		if s.Generation != "" {
			counts[s.Generation]++
		}
	}
	m.Clusters.Reset()
	for g, n := range counts {
		m.Clusters.WithLabelValues(g).Set(float64(n))
	}
	m.GateFailures.Reset()
	if st.Phase == PhaseHalted {
		for _, f := range st.Failures {
			m.GateFailures.WithLabelValues(f.Cluster, f.Reason).Set(1)
		}
	}
}

// halted records a Warning Event on each Cluster that failed its gate.
func (ro *Rollout) halted(ctx context.Context, st state) {
	wave := fmt.Sprintf("wave %d", st.Wave)
	if st.Wave == 0 {
		wave = "the canaries"
	}
	for _, f := range st.Failures {
		logf.FromContext(ctx).Info("rollout halted: a cluster failed its health gate", "cluster", f.Cluster, "reason", f.Reason, "message", f.Message)
		if ro.recorder == nil {
			continue
		}
		note := fmt.Sprintf("rollout of render configuration %s halted in %s: cluster %s failed its health gate within %s: %s: %s; clusters not reached keep configuration %s",
			st.Target.ID, wave, f.Cluster, ro.opts.Deadline.Duration, f.Reason, f.Message, st.Good.ID)
		if len(note) > maxEventNote {
			note = note[:maxEventNote-3] + "..."
		}
		c := &kkpv1.Cluster{}
		if err := ro.client.Get(ctx, client.ObjectKey{Name: f.Cluster}, c); err != nil {
			continue // gone: nothing to record on
		}
		ro.recorder.Eventf(c, nil, corev1.EventTypeWarning, ReasonHalted, eventAction, "%s", note)
	}
}
