package velero

import (
	"context"
	"fmt"
	"slices"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// ValidateRestore checks a Restore on CREATE: exactly one of backupName and
// scheduleName, the Backup (or a Backup of the Schedule) must exist, and
// warnings when that Backup did not complete or lacks a requested
// namespace. UPDATEs pass: Velero itself fills backupName/scheduleName and
// writes status through full-object updates, and it ignores later edits.
func ValidateRestore(ctx context.Context, cfg *Config, l Lookup, _ User, r, old *velerov1.Restore) (field.ErrorList, admission.Warnings) {
	if r.Namespace != cfg.Namespace || old != nil {
		return nil, nil
	}
	spec := field.NewPath("spec")
	bn, sn := r.Spec.BackupName, r.Spec.ScheduleName
	switch {
	case bn == "" && sn == "":
		return field.ErrorList{field.Required(spec.Child("backupName"), "set exactly one of backupName or scheduleName")}, nil
	case bn != "" && sn != "":
		return field.ErrorList{field.Forbidden(spec.Child("scheduleName"), "set exactly one of backupName or scheduleName, not both")}, nil
	}
	var b *velerov1.Backup
	if bn != "" {
		var err error
		if b, err = l.Backup(ctx, bn); err != nil {
			return field.ErrorList{field.InternalError(spec.Child("backupName"), fmt.Errorf("read Backup %q: %w", bn, err))}, nil
		}
		if b == nil {
			return field.ErrorList{field.NotFound(spec.Child("backupName"), bn)}, nil
		}
	} else {
		all, err := l.BackupsOfSchedule(ctx, sn)
		if err != nil {
			return field.ErrorList{field.InternalError(spec.Child("scheduleName"), fmt.Errorf("list Backups of Schedule %q: %w", sn, err))}, nil
		}
		b = latestUsable(all)
		if b == nil {
			return field.ErrorList{field.Invalid(spec.Child("scheduleName"), sn, "no Completed or PartiallyFailed Backup of this Schedule exists")}, nil
		}
	}
	return nil, restoreWarnings(r, b)
}

// usable reports whether Velero restores from a Backup in this phase.
func usable(p velerov1.BackupPhase) bool {
	return p == velerov1.BackupPhaseCompleted || p == velerov1.BackupPhasePartiallyFailed
}

// latestUsable picks the Backup Velero would restore for a Schedule.
func latestUsable(all []velerov1.Backup) *velerov1.Backup {
	var best *velerov1.Backup
	for i := range all {
		b := &all[i]
		if !usable(b.Status.Phase) {
			continue
		}
		if best == nil || best.CreationTimestamp.Before(&b.CreationTimestamp) {
			best = b
		}
	}
	return best
}

// restoreWarnings explains what the Restore will not find in its Backup.
func restoreWarnings(r *velerov1.Restore, b *velerov1.Backup) admission.Warnings {
	var warns admission.Warnings
	if !usable(b.Status.Phase) {
		phase := string(b.Status.Phase)
		if phase == "" {
			phase = "New"
		}
		warns = append(warns, Warning(fmt.Sprintf("Backup %q is %s, not Completed or PartiallyFailed; the restore will fail", b.Name, phase)))
	}
	in := b.Spec.IncludedNamespaces
	if len(in) == 0 || slices.ContainsFunc(in, isWildcard) {
		return warns
	}
	missing := 0
	for _, n := range r.Spec.IncludedNamespaces {
		if isWildcard(n) || slices.Contains(in, n) {
			continue
		}
		missing++
		if missing <= maxNamespaceWarnings {
			warns = append(warns, Warning(fmt.Sprintf("namespace %q is not in Backup %q; nothing is restored for it", n, b.Name)))
		}
	}
	if missing > maxNamespaceWarnings {
		warns = append(warns, Warning(fmt.Sprintf("%d more requested namespaces are not in Backup %q", missing-maxNamespaceWarnings, b.Name)))
	}
	return warns
}
