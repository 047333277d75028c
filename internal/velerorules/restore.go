package velerorules

import (
	"context"
	"fmt"
	"slices"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// ValidateRestore checks a Restore on CREATE: exactly one of backupName and
// scheduleName, the Backup (or a Backup of the Schedule) must exist, no
// namespaceMapping into a system namespace or Velero's (validateNamespaceMapping),
// and warnings when that Backup did not complete or lacks a requested
// namespace, and when the Restore brings back cluster-scoped RBAC. On UPDATE
// only the namespaceMapping rule applies, to new or changed entries: Velero
// itself fills backupName/scheduleName and writes status through full-object
// updates, but it reads the spec of a Restore it has not started yet, so an
// edit after the create must not bypass the mapping rule.
func ValidateRestore(ctx context.Context, cfg *Config, l Lookup, u User, r, old *velerov1.Restore) (field.ErrorList, admission.Warnings) {
	if r.Namespace != cfg.Namespace {
		return nil, nil
	}
	spec := field.NewPath("spec")
	errs := validateNamespaceMapping(cfg, u, r, old, spec.Child("namespaceMapping"))
	if old != nil {
		return errs, nil
	}
	bn, sn := r.Spec.BackupName, r.Spec.ScheduleName
	switch {
	case bn == "" && sn == "":
		return append(errs, field.Required(spec.Child("backupName"), "set exactly one of backupName or scheduleName")), nil
	case bn != "" && sn != "":
		return append(errs, field.Forbidden(spec.Child("scheduleName"), "set exactly one of backupName or scheduleName, not both")), nil
	}
	var b *velerov1.Backup
	if bn != "" {
		var err error
		if b, err = l.Backup(ctx, bn); err != nil {
			return append(errs, field.InternalError(spec.Child("backupName"), fmt.Errorf("read Backup %q: %w", bn, err))), nil
		}
		if b == nil {
			return append(errs, field.NotFound(spec.Child("backupName"), bn)), nil
		}
	} else {
		all, err := l.BackupsOfSchedule(ctx, sn)
		if err != nil {
			return append(errs, field.InternalError(spec.Child("scheduleName"), fmt.Errorf("list Backups of Schedule %q: %w", sn, err))), nil
		}
		b = latestUsable(all)
		if b == nil {
			return append(errs, field.Invalid(spec.Child("scheduleName"), sn, "no Completed or PartiallyFailed Backup of this Schedule exists")), nil
		}
	}
	warns := restoreWarnings(r, b)
	if restoresClusterRBAC(&r.Spec) {
		warns = append(warns, Warning(clusterRBACWarning))
	}
	return errs, warns
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
