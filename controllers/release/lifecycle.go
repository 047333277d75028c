package release

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// The life cycle is driven from the seed's state (docs/lifecycle.md):
//
//   - enabled: the Cluster names a CBSL; it becomes the remembered location.
//     When it is other storage than the remembered one (another CBSL, or the
//     CBSL's bucket, endpoint or prefix changed), the remembered one joins
//     the previous locations, rendered as read-only BSLs; a previous location
//     that is the current storage again leaves the list (switching back).
//   - disabled: the Cluster names no CBSL but the seed remembers one: the
//     disabled release of the remembered location (workloads dropped, CRDs,
//     Namespace, read-only BSLs and paused Schedules kept).
//   - neither: nothing was ever rendered for the cluster; nothing to do.

// The managed BSL's name is remembered per cluster (memory.BSLName) and
// never changes: Velero's backup sync deletes the Backup objects labelled
// with a BSL's name that its store does not hold, so renaming the managed
// BSL, or giving its name another prefix, would make listed Backups
// disappear. A cluster the loop enables first gets KKP's name,
// kkpv1.KKPBSLName, so KKP's dashboard and KKP's own end-to-end test find
// the BSL they name; clusters rendered before keep managedBSLName (their
// Backups naming KKP's BSL are written to it by admission,
// internal/velerorules MapKKPLocation).

// managedBSLName is the managed BSL's name of clusters the loop rendered
// before it named new ones as KKP does (the chart's default).
const managedBSLName = "default"

// plan is what one reconcile renders for a cluster.
type plan struct {
	// mem is the state that the render depends on, stored before applying.
	mem memory
	// in and lc are the renderer's input and life cycle.
	in renderer.Input
	lc renderer.Lifecycle
}

// cbslName is the CBSL the plan renders.
func (p plan) cbslName() string { return p.mem.Location.Name }

// planFor computes the next state and render of cluster c from its current
// CBSL cur (nil when the Cluster names none) and the stored state old;
// takeover says a cluster enabled first is taken over from KKP's cluster
// backup (takeover.go). ok is false when there is nothing to render (never
// enabled, not enabled now).
func planFor(c *kkpv1.Cluster, cur *kkpv1.ClusterBackupStorageLocation, old memory, takeover bool) (p plan, ok bool) {
	var m memory
	switch {
	case cur != nil:
		m.Location = trimCBSL(cur)
		m.BSLName = old.BSLName
		m.Previous = slices.Clone(old.Previous)
		switch {
		case old.Location == nil && takeover:
			kkpLayout(&m)
		case old.Location == nil:
			m.BSLName = kkpv1.KKPBSLName
		}
		if old.Location != nil && !sameLocation(old.Location, cur) && !slices.ContainsFunc(m.Previous, func(p previousLocation) bool { return sameLocation(p.CBSL, old.Location) }) {
			m.Previous = append(m.Previous, previousLocation{BSL: uniqueBSLName(m.Previous, "previous-"+old.Location.Name), CBSL: old.Location})
		}
		m.Previous = slices.DeleteFunc(m.Previous, func(p previousLocation) bool { return sameLocation(p.CBSL, cur) })
	case old.Location != nil:
		m = memory{Location: old.Location, Previous: old.Previous, Disabled: true, BSLName: old.BSLName}
	default:
		return plan{}, false
	}
	// The renderer checks that the Cluster names the CBSL: a disabled
	// Cluster is rendered as naming its remembered location.
	rc := c.DeepCopy()
	rc.Spec.BackupConfig = &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: m.Location.Name}}
	lc := renderer.Lifecycle{Disabled: m.Disabled, BSLName: m.BSLName}
	for _, pl := range m.Previous {
		lc.Previous = append(lc.Previous, renderer.PreviousLocation{Name: pl.BSL, CBSL: pl.CBSL})
	}
	return plan{mem: m, in: renderer.Input{Cluster: rc, CBSL: m.Location}, lc: lc}, true
}

// sameLocation reports whether two CBSLs are the same storage location: the
// same bucket on endpoints storage.SameStorage cannot tell apart, and the
// same prefix. Anything else is a storage switch.
func sameLocation(a, b *kkpv1.ClusterBackupStorageLocation) bool {
	if a == nil || b == nil {
		return a == b
	}
	ao, bo := a.Spec.ObjectStorage, b.Spec.ObjectStorage
	if ao == nil || bo == nil {
		return ao == bo
	}
	return storage.SameStorage(ao.Bucket, a.Spec.Config[storage.ConfigS3URL], bo.Bucket, b.Spec.Config[storage.ConfigS3URL]) &&
		prefix.Normalize(ao.Prefix) == prefix.Normalize(bo.Prefix)
}

// uniqueBSLName returns base, or base-2, base-3, … when a previous location
// or a managed BSL (either name) already has that name.
func uniqueBSLName(prev []previousLocation, base string) string {
	taken := func(n string) bool {
		return n == managedBSLName || n == kkpv1.KKPBSLName || slices.ContainsFunc(prev, func(p previousLocation) bool { return p.BSL == n })
	}
	name := base
	for i := 2; taken(name); i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}
