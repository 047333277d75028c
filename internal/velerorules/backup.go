package velerorules

import (
	"context"
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// immutableBackupMsg is the detail of every denied Backup spec change.
const immutableBackupMsg = "the spec of a Backup is immutable after creation (Velero ignores the change); create a new Backup or use a Schedule"

// ValidateBackup checks a Backup on CREATE (old nil) or UPDATE. On UPDATE
// the spec is immutable, except for Velero's own first defaulting pass:
// old Backup not started yet (IsNew), requester Velero's service account,
// and only previously empty fields filled. Only Velero writes the status
// (anyone else could expire a backup and have Velero's garbage collection
// delete its data); metadata writes always pass.
func ValidateBackup(ctx context.Context, cfg *Config, l Lookup, u User, b, old *velerov1.Backup) (field.ErrorList, admission.Warnings) {
	if b.Namespace != cfg.Namespace {
		return nil, nil
	}
	if errs := validateBackupStatusWriter(cfg, u, b, old); len(errs) > 0 {
		return errs, nil
	}
	spec := field.NewPath("spec")
	if old == nil {
		return ValidateBackupSpec(ctx, cfg, l, &b.Spec, spec, IsNew(b))
	}
	if equality.Semantic.DeepEqual(old.Spec, b.Spec) {
		return nil, nil
	}
	filled, changed := diffSpecs(old.Spec, b.Spec)
	if u.Name == cfg.VeleroUser && IsNew(old) && len(changed) == 0 {
		return ValidateBackupSpec(ctx, cfg, l, &b.Spec, spec, true)
	}
	var errs field.ErrorList
	for _, k := range append(changed, filled...) {
		errs = append(errs, field.Forbidden(spec.Child(k), fmt.Sprintf("Backup %q: %s", b.Name, immutableBackupMsg)))
	}
	return errs, nil
}

// ValidateBackupSpec checks a Backup spec (or a Schedule's template) at
// fld. live means the spec is about to be acted on (a new Backup or a
// Schedule), so the storage location must exist and be writable; Backups
// Velero syncs from storage are not live.
func ValidateBackupSpec(ctx context.Context, cfg *Config, l Lookup, s *velerov1.BackupSpec, fld *field.Path, live bool) (field.ErrorList, admission.Warnings) {
	var errs field.ErrorList
	var warns admission.Warnings
	if s.LabelSelector != nil && len(s.OrLabelSelectors) > 0 {
		errs = append(errs, field.Forbidden(fld.Child("orLabelSelectors"), "labelSelector and orLabelSelectors are mutually exclusive; set only one"))
	}
	opts := metav1validation.LabelSelectorValidationOptions{}
	errs = append(errs, metav1validation.ValidateLabelSelector(s.LabelSelector, opts, fld.Child("labelSelector"))...)
	for i, sel := range s.OrLabelSelectors {
		errs = append(errs, metav1validation.ValidateLabelSelector(sel, opts, fld.Child("orLabelSelectors").Index(i))...)
	}
	if s.TTL.Duration < 0 {
		errs = append(errs, field.Invalid(fld.Child("ttl"), s.TTL.Duration.String(), "must not be negative"))
	}
	if !live {
		return errs, nil
	}
	if name := s.StorageLocation; name != "" {
		loc, err := l.BSL(ctx, name)
		switch {
		case err != nil:
			errs = append(errs, field.InternalError(fld.Child("storageLocation"), fmt.Errorf("read BSL %q: %w", name, err)))
		case loc == nil:
			errs = append(errs, field.NotFound(fld.Child("storageLocation"), name))
		case loc.Spec.AccessMode == velerov1.BackupStorageLocationAccessModeReadOnly:
			errs = append(errs, field.Forbidden(fld.Child("storageLocation"), fmt.Sprintf("BSL %q is ReadOnly; a backup cannot be written to it", name)))
		}
	}
	w, err := missingNamespaces(ctx, l, s.IncludedNamespaces)
	if err != nil {
		errs = append(errs, field.InternalError(fld.Child("includedNamespaces"), err))
	}
	return errs, append(warns, w...)
}

// maxNamespaceWarnings bounds the warnings one review returns.
const maxNamespaceWarnings = 5

// missingNamespaces warns about included namespaces that do not exist
// (wildcards are skipped): the backup would silently miss them.
func missingNamespaces(ctx context.Context, l Lookup, names []string) (admission.Warnings, error) {
	var warns admission.Warnings
	missing := 0
	for _, n := range names {
		if isWildcard(n) {
			continue
		}
		ok, err := l.NamespaceExists(ctx, n)
		if err != nil {
			return warns, fmt.Errorf("read namespace %q: %w", n, err)
		}
		if ok {
			continue
		}
		missing++
		if missing <= maxNamespaceWarnings {
			warns = append(warns, Warning(fmt.Sprintf("namespace %q does not exist; create it before the backup runs", n)))
		}
	}
	if missing > maxNamespaceWarnings {
		warns = append(warns, fmt.Sprintf("%d more included namespaces do not exist", missing-maxNamespaceWarnings))
	}
	return warns, nil
}

// validateBackupStatusWriter lets only Velero's service account write a
// Backup's status: on CREATE nobody else may set a phase or an expiration,
// on UPDATE nobody else may change it.
func validateBackupStatusWriter(cfg *Config, u User, b, old *velerov1.Backup) field.ErrorList {
	if u.Name == cfg.VeleroUser {
		return nil
	}
	changed := old != nil && !equality.Semantic.DeepEqual(old.Status, b.Status) ||
		old == nil && (b.Status.Phase != "" || b.Status.Expiration != nil)
	if !changed {
		return nil
	}
	return field.ErrorList{field.Forbidden(field.NewPath("status"), fmt.Sprintf("Backup %q: only Velero (%s) may write the status of a Backup", b.Name, cfg.VeleroUser))}
}
