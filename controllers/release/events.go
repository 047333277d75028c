package release

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// Reasons of the Events recorded on Clusters, one per state change. Notes
// name objects, locations and versions, never secret material (the loop
// handles none: credentials come from the credentials loop).
const (
	// ReasonApplied: the release was applied into the user cluster, or the
	// user cluster was found holding it again after a failure.
	ReasonApplied = "ReleaseApplied"
	// ReasonDisabled: the disabled release was applied (backup disabled on
	// the Cluster: workloads removed, CRDs, BSLs and Backups kept).
	ReasonDisabled = "ReleaseDisabled"
	// ReasonPruned: objects the release no longer renders were deleted.
	ReasonPruned = "ReleasePruned"
	// ReasonSkipped: the loop leaves the cluster alone, and says why.
	ReasonSkipped = "ReleaseSkipped"
	// ReasonFailed: the release could not be rendered or applied.
	ReasonFailed = "ReleaseFailed"
)

// eventAction is the Events' action.
const eventAction = "ApplyRelease"

// maxNote bounds an Event's note (the API refuses notes over 1 kB).
const maxNote = 1000

// Skip reasons (State.Reason of PhaseSkipped).
const (
	skipExcluded = "excluded by selector %s"
	skipGitOps   = "managed by %s (%s)"
)

// event records an Event on the Cluster.
func (r *Reconciler) event(c *kkpv1.Cluster, typ, reason, note string, args ...any) {
	if r.Recorder == nil {
		return
	}
	n := fmt.Sprintf(note, args...)
	if len(n) > maxNote {
		n = n[:maxNote-3] + "..."
	}
	r.Recorder.Eventf(c, nil, typ, reason, eventAction, "%s", n)
}

// changed reports whether next is news after prev: another phase or reason.
// Finding a release current on first sight (a restart, a new leader) is
// not.
func changed(prev, next State) bool {
	if (prev.Phase == "" || prev.Phase == PhasePending) && (next.Phase == PhaseApplied || next.Phase == PhaseDisabled) {
		return false
	}
	return prev.Phase != next.Phase || prev.Reason != next.Reason
}

// eventForState returns the Event type and reason of a state.
func eventForState(s State) (typ, reason string) {
	switch s.Phase {
	case PhaseApplied:
		return corev1.EventTypeNormal, ReasonApplied
	case PhaseDisabled:
		return corev1.EventTypeNormal, ReasonDisabled
	case PhaseSkipped:
		return corev1.EventTypeNormal, ReasonSkipped
	case PhaseFailed:
		return corev1.EventTypeWarning, ReasonFailed
	}
	return "", ""
}

// refList names refs for a note: at most five, then how many more.
func refList(refs []ObjectRef) string {
	var b strings.Builder
	for i, r := range refs {
		if i == 5 {
			fmt.Fprintf(&b, " and %d more", len(refs)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.Kind + " ")
		if r.Namespace != "" {
			b.WriteString(r.Namespace + "/")
		}
		b.WriteString(r.Name)
	}
	return b.String()
}
