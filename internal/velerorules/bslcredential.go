package velerorules

import (
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateCredential keeps the managed credential (the key the seed
// delivers in cfg.CredentialsSecret) to the BSLs it is meant for, in both
// directions:
//
//   - The managed BSL and the cluster's previous locations (exact bucket,
//     endpoint and prefix of a configured one; ReadOnly, which ValidateBSL
//     enforces) sign with the managed credential only: spec.credential may
//     name no Secret but the managed one. Signing with other keys would
//     write under the cluster's prefix with credentials the seed does not
//     control.
//   - Every other BSL must not sign with it: neither by naming the managed
//     Secret (any key of it) nor by default — without spec.credential (or
//     with an empty name) Velero uses its default credentials file, which is
//     the managed key. So a BSL whose endpoint is another spelling of the
//     managed one (a DNS alias, localhost for 127.0.0.1: nothing
//     storage.SameEndpoint can see) cannot reach the managed bucket with the
//     managed key, whatever the spelling. Its own Secret is admitted only on
//     other storage while AllowOtherStorage is set; everything else is
//     denied by ValidateBSL's storage rules too.
//
// It decides by location, never by labels (clusterbackup.io/previous-location
// is informational: whoever creates a BSL can set it).
func validateCredential(cfg *Config, b *velerov1.BackupStorageLocation, fldPath *field.Path) field.ErrorList {
	ref := b.Spec.Credential
	usesManaged := ref == nil || ref.Name == "" || ref.Name == cfg.CredentialsSecret
	loc := LocationOf(b)
	if cfg.IsManagedBSL(b) || previous(cfg, loc) {
		if usesManaged {
			return nil
		}
		return field.ErrorList{field.Forbidden(fldPath.Child("name"), fmt.Sprintf(
			"BSL %q names credential Secret %q; only the managed credentials Secret %q (delivered by the seed) may be used", b.Name, ref.Name, cfg.CredentialsSecret))}
	}
	if usesManaged {
		how := fmt.Sprintf("names the managed credentials Secret %q", cfg.CredentialsSecret)
		p := fldPath.Child("name")
		if ref == nil || ref.Name == "" {
			how = fmt.Sprintf("names no credential, so Velero would use its default credentials file, the managed credentials Secret %q", cfg.CredentialsSecret)
			p = fldPath
		}
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf(
			"BSL %q %s; only the managed BSL %q and the cluster's read-only previous locations may use the managed credential: another BSL needs a credential Secret of its own",
			b.Name, how, cfg.ManagedBSLName))}
	}
	if cfg.AllowOtherStorage && !sameStorage(loc, cfg.Managed) {
		return nil
	}
	return field.ErrorList{field.Forbidden(fldPath.Child("name"), fmt.Sprintf(
		"BSL %q names credential Secret %q; a Secret of its own is admitted only for a BSL on other storage while other storage is allowed (allowOtherStorage)", b.Name, ref.Name))}
}
