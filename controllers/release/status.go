package release

import (
	"maps"
	"time"
)

// Phase is where a cluster's release stands.
type Phase string

// Phases, the values of the state label of MetricState.
const (
	// PhasePending: the cluster has a backup location and the loop has not
	// finished a reconcile of it yet.
	PhasePending Phase = "pending"
	// PhaseApplied: the user cluster holds the current enabled release.
	PhaseApplied Phase = "applied"
	// PhaseDisabled: the user cluster holds the current disabled release
	// (backup disabled on the Cluster; CRDs, BSLs, Backups kept).
	PhaseDisabled Phase = "disabled"
	// PhaseSkipped: the loop leaves the cluster alone (Reason says why:
	// excluded by selector, managed by Argo CD or Flux).
	PhaseSkipped Phase = "skipped"
	// PhaseFailed: the release could not be rendered or applied (Reason).
	PhaseFailed Phase = "failed"
)

// Phases lists every Phase, in the order metrics export them.
var Phases = []Phase{PhasePending, PhaseApplied, PhaseDisabled, PhaseSkipped, PhaseFailed}

// State is one cluster's release state as this process last saw it (the
// fleet status shows it per cluster).
type State struct {
	// Cluster and Project are the cluster and project IDs.
	Cluster, Project string
	// Phase is where the release stands.
	Phase Phase
	// Reason says why, for skipped and failed (never secret material).
	Reason string
	// CBSL names the storage location rendered.
	CBSL string
	// VeleroVersion is the Velero version rendered (empty before the first
	// render).
	VeleroVersion string
	// Digest is the Digest of the release rendered.
	Digest string
	// Generation is the configuration generation (ConfigGeneration of the
	// render configuration) last applied or found current; a failure keeps
	// the one before.
	Generation string
	// LastSuccess is when the loop last found or left the user cluster
	// holding the current release (zero: never in this process).
	LastSuccess time.Time
}

// States returns a copy of every cluster's state, by cluster ID. Clusters
// without a backup location that were never enabled have none.
func (r *Reconciler) States() map[string]State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.states)
}

// State returns one cluster's state, and false if it has none.
func (r *Reconciler) State(cluster string) (State, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.states[cluster]
	return s, ok
}
