package velerorules

import (
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// KKP's dashboard creates every Backup and Schedule with storageLocation
// kkpv1.KKPBSLName. Where the managed BSL has another name (clusters
// rendered before the release loop named it as KKP does, and clusters moved
// from KKP's controller whose KKP-era location is kept read-only under that
// name), admission writes such a Backup or Schedule template to the managed
// BSL instead, with a warning, and records the mapping in
// MappedFromAnnotation (the CEL layer warns from it). Renaming a BSL is
// never the answer: Velero's backup sync deletes the Backup objects labelled
// with a BSL's name that its store does not hold, so a name moved to
// another prefix would make listed Backups disappear (docs/migration.md).

// MappedFromAnnotation records on a Backup or Schedule that admission wrote
// it to the managed BSL instead of the location it named (KKP's name).
const MappedFromAnnotation = "clusterbackup.io/storage-location-mapped-from"

// MapsKKPLocation reports whether admission maps KKP's BSL name onto the
// managed BSL: only when the managed BSL has another name.
func (c *Config) MapsKKPLocation() bool { return c.ManagedBSLName != kkpv1.KKPBSLName }

// MapKKPLocation writes a spec naming KKP's BSL to the managed BSL when
// MapsKKPLocation, annotates obj with MappedFromAnnotation and returns the
// warning; anything else is left alone. Callers pick the specs that are
// about to be acted on (a new Backup, a Schedule's template).
func MapKKPLocation(cfg *Config, obj metav1.Object, s *velerov1.BackupSpec) admission.Warnings {
	if !cfg.MapsKKPLocation() || s.StorageLocation != kkpv1.KKPBSLName {
		return nil
	}
	s.StorageLocation = cfg.ManagedBSLName
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[MappedFromAnnotation] = kkpv1.KKPBSLName
	obj.SetAnnotations(a)
	return admission.Warnings{KKPMappingWarning(cfg.ManagedBSLName)}
}

// KKPMappingWarning is the warning of a mapped Backup or Schedule.
func KKPMappingWarning(managed string) string {
	return fmt.Sprintf("storageLocation %q (KKP's name) is written to this cluster's managed BSL %q", kkpv1.KKPBSLName, managed)
}

// validateKKPNamedBSL refuses a BSL under KKP's name that is not the
// managed BSL and not ReadOnly: Backups naming that BSL are written to the
// managed one, so a writable BSL of that name could never receive them.
func validateKKPNamedBSL(cfg *Config, b *velerov1.BackupStorageLocation) field.ErrorList {
	if b.Name != kkpv1.KKPBSLName || cfg.IsManagedBSL(b) || b.Spec.AccessMode == velerov1.BackupStorageLocationAccessModeReadOnly {
		return nil
	}
	return field.ErrorList{field.Forbidden(field.NewPath("spec", "accessMode"), fmt.Sprintf(
		"BSL %q is KKP's name: Backups naming it are written to the managed BSL %q, so a BSL of that name is admitted only with accessMode ReadOnly (a KKP-era location)",
		b.Name, cfg.ManagedBSLName))}
}
