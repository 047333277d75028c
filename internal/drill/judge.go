package drill

import (
	"fmt"
	"slices"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
)

// Check names, in the order Judge returns them.
const (
	CheckRestorePhase = "restorePhase"
	CheckErrors       = "errors"
	CheckItems        = "items"
	CheckPodVolumes   = "podVolumes"
)

// Observed is what a drill saw at its end.
type Observed struct {
	// Restore is the drill's Restore as last read (nil: never read).
	Restore *velerov1.Restore
	// TimedOut says the Restore did not finish within the drill's deadline.
	TimedOut bool
	// Expected is how many items of the restored namespaces the drill
	// expects back (ResourceList.Expected), Excluded how many it leaves out.
	Expected, Excluded int
	// PodVolumeBackups are the backup's PodVolumeBackups (from storage);
	// those of namespaces not restored are ignored.
	PodVolumeBackups []velerov1.PodVolumeBackup
	// PodVolumeRestores are the Restore's PodVolumeRestores.
	PodVolumeRestores []velerov1.PodVolumeRestore
	// Namespaces are the restored namespaces of the backup.
	Namespaces []string
	// RestoreErrors are the first errors of the Restore's results (from
	// storage, ParseRestoreErrors), quoted by a failed restorePhase check.
	RestoreErrors []string
}

// Judge returns the checks of a drill, in a fixed order, and the first
// failure's detail as the reason ("" when all passed).
func Judge(o Observed) ([]Check, string) {
	checks := []Check{phaseCheck(o), errorsCheck(o), itemsCheck(o), podVolumesCheck(o)}
	for _, c := range checks {
		if !c.Passed {
			return checks, c.Name + ": " + c.Detail
		}
	}
	return checks, ""
}

func phaseCheck(o Observed) Check {
	c := Check{Name: CheckRestorePhase}
	switch {
	case o.Restore == nil:
		c.Detail = "no Restore was created"
	case o.TimedOut:
		c.Detail = fmt.Sprintf("restore %s still %s at the drill's deadline", o.Restore.Name, phaseOf(o.Restore))
	case o.Restore.Status.Phase == velerov1.RestorePhaseCompleted:
		c.Passed, c.Detail = true, "Completed"
	default:
		c.Detail = string(phaseOf(o.Restore))
		if r := o.Restore.Status.FailureReason; r != "" {
			c.Detail += ": " + r
		}
		if v := o.Restore.Status.ValidationErrors; len(v) > 0 {
			c.Detail += ": " + strings.Join(v, "; ")
		}
		if len(o.RestoreErrors) > 0 {
			c.Detail += ": " + strings.Join(o.RestoreErrors, "; ")
		}
	}
	c.Detail = Clip(c.Detail, MaxReason)
	return c
}

func phaseOf(r *velerov1.Restore) velerov1.RestorePhase {
	if r.Status.Phase == "" {
		return velerov1.RestorePhaseNew
	}
	return r.Status.Phase
}

func errorsCheck(o Observed) Check {
	c := Check{Name: CheckErrors}
	if o.Restore == nil {
		c.Detail = "no Restore"
		return c
	}
	s := o.Restore.Status
	c.Passed = s.Errors == 0
	c.Detail = fmt.Sprintf("%d errors, %d warnings", s.Errors, s.Warnings)
	return c
}

func itemsCheck(o Observed) Check {
	c := Check{Name: CheckItems}
	if o.Restore == nil || o.Restore.Status.Progress == nil {
		c.Detail = fmt.Sprintf("no progress reported; the backup holds %d items to restore", o.Expected)
		return c
	}
	p := o.Restore.Status.Progress
	c.Detail = fmt.Sprintf("%d of %d items restored; the backup holds %d in the restored namespaces (%d more left out on purpose)", p.ItemsRestored, p.TotalItems, o.Expected, o.Excluded)
	c.Passed = p.ItemsRestored == p.TotalItems && p.TotalItems >= o.Expected && (o.Expected > 0 || p.TotalItems > 0)
	return c
}

func podVolumesCheck(o Observed) Check {
	c := Check{Name: CheckPodVolumes}
	var want []velerov1.PodVolumeBackup
	for _, b := range o.PodVolumeBackups {
		if b.Status.Phase == velerov1.PodVolumeBackupPhaseCompleted && slices.Contains(o.Namespaces, b.Spec.Pod.Namespace) {
			want = append(want, b)
		}
	}
	var bytes int64
	for _, b := range want {
		i := slices.IndexFunc(o.PodVolumeRestores, func(r velerov1.PodVolumeRestore) bool {
			return r.Spec.SnapshotID == b.Status.SnapshotID && r.Spec.Volume == b.Spec.Volume
		})
		name := b.Spec.Pod.Namespace + "/" + b.Spec.Pod.Name + " volume " + b.Spec.Volume
		if i < 0 {
			c.Detail = Clip("no PodVolumeRestore of "+name, MaxReason)
			return c
		}
		r := o.PodVolumeRestores[i]
		if r.Status.Phase != velerov1.PodVolumeRestorePhaseCompleted {
			c.Detail = Clip(fmt.Sprintf("PodVolumeRestore of %s %s: %s", name, phaseOrNew(string(r.Status.Phase)), r.Status.Message), MaxReason)
			return c
		}
		if got, wrote := r.Status.Progress.BytesDone, b.Status.Progress.TotalBytes; got != wrote {
			c.Detail = fmt.Sprintf("PodVolumeRestore of %s restored %d bytes, its backup wrote %d", name, got, wrote)
			return c
		}
		bytes += b.Status.Progress.TotalBytes
	}
	c.Passed = true
	c.Detail = fmt.Sprintf("%d volumes, %d bytes restored, as backed up", len(want), bytes)
	return c
}

func phaseOrNew(p string) string {
	if p == "" {
		return "New"
	}
	return p
}
