package velero

import (
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateCredential lets a BSL's spec.credential name only the managed
// credentials Secret (cfg.CredentialsSecret), the one the seed delivers.
// A BSL without spec.credential uses the same Secret through the mounted
// file. Only a BSL on other storage, while AllowOtherStorage admits it, may
// name a Secret of its own; every other BSL (the managed one, one on the
// managed storage, a previous location) signing with other keys would
// write under the cluster's prefix with credentials the seed does not
// control.
func validateCredential(cfg *Config, b *velerov1.BackupStorageLocation, fldPath *field.Path) field.ErrorList {
	ref := b.Spec.Credential
	if ref == nil || ref.Name == "" || ref.Name == cfg.CredentialsSecret {
		return nil
	}
	loc := LocationOf(b)
	if cfg.AllowOtherStorage && !cfg.IsManagedBSL(b) && !sameStorage(loc, cfg.Managed) && !previous(cfg, loc) {
		return nil
	}
	return field.ErrorList{field.Forbidden(fldPath.Child("name"), fmt.Sprintf(
		"BSL %q names credential Secret %q; only the managed credentials Secret %q (delivered by the seed) may be used", b.Name, ref.Name, cfg.CredentialsSecret))}
}
