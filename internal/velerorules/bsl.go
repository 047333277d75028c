package velerorules

import (
	"context"
	"fmt"

	"github.com/clusterbackup/clusterbackup/internal/storage"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// s3URLKey is the AWS plugin's config key for a custom endpoint.
const s3URLKey = "s3Url"

// IsManagedBSL reports whether b is the cluster's managed BSL.
func (c *Config) IsManagedBSL(b *velerov1.BackupStorageLocation) bool {
	return b.Namespace == c.Namespace && b.Name == c.ManagedBSLName
}

// LocationOf returns the bucket, endpoint and prefix a BSL points at.
func LocationOf(b *velerov1.BackupStorageLocation) Location {
	l := Location{Endpoint: b.Spec.Config[s3URLKey]}
	if os := b.Spec.ObjectStorage; os != nil {
		l.Bucket, l.Prefix = os.Bucket, os.Prefix
	}
	return l
}

// DefaultBSL fills and normalizes the managed BSL in place: default true,
// the managed bucket and endpoint where empty, the cluster prefix where the
// prefix is empty, and one trailing "/" trimmed. Other BSLs are left alone;
// fields that are set but wrong are left for validation to deny.
func DefaultBSL(cfg *Config, b *velerov1.BackupStorageLocation) {
	if !cfg.IsManagedBSL(b) {
		return
	}
	b.Spec.Default = true
	if b.Spec.ObjectStorage == nil {
		b.Spec.ObjectStorage = &velerov1.ObjectStorageLocation{}
	}
	os := b.Spec.ObjectStorage
	if os.Bucket == "" {
		os.Bucket = cfg.Managed.Bucket
	}
	if os.Prefix == "" {
		os.Prefix = cfg.Managed.Prefix
	}
	os.Prefix = prefix.Normalize(os.Prefix)
	if cfg.Managed.Endpoint != "" && b.Spec.Config[s3URLKey] == "" {
		if b.Spec.Config == nil {
			b.Spec.Config = map[string]string{}
		}
		b.Spec.Config[s3URLKey] = cfg.Managed.Endpoint
	}
}

// ValidateBSL checks a BSL on CREATE (old nil) or UPDATE. Updates that leave
// the spec unchanged (status or metadata writes) always pass.
func ValidateBSL(ctx context.Context, cfg *Config, l Lookup, u User, b, old *velerov1.BackupStorageLocation) (field.ErrorList, admission.Warnings) {
	if b.Namespace != cfg.Namespace {
		return nil, nil
	}
	if old != nil && equality.Semantic.DeepEqual(old.Spec, b.Spec) {
		return nil, nil
	}
	spec := field.NewPath("spec")
	osPath := spec.Child("objectStorage")
	var errs field.ErrorList
	if b.Spec.ObjectStorage == nil {
		return field.ErrorList{field.Required(osPath, "a BSL needs objectStorage (bucket and prefix)")}, nil
	}
	errs = append(errs, prefix.Validate(b.Spec.ObjectStorage.Prefix, osPath.Child("prefix"))...)
	errs = append(errs, validateCredential(cfg, b, spec.Child("credential"))...)
	if cfg.IsManagedBSL(b) {
		e, w := validateManagedBSL(cfg, u, b)
		return append(errs, e...), w
	}
	errs = append(errs, validateKKPNamedBSL(cfg, b)...)
	loc := LocationOf(b)
	if b.Spec.Default {
		errs = append(errs, secondDefault(ctx, cfg, l, b, spec.Child("default")))
	}
	if previous(cfg, loc) {
		if b.Spec.AccessMode != velerov1.BackupStorageLocationAccessModeReadOnly {
			errs = append(errs, field.Forbidden(spec.Child("accessMode"), fmt.Sprintf(
				"%s is a previous location of this cluster; it is admitted only with accessMode ReadOnly", loc)))
		}
		return errs, nil
	}
	if sameStorage(loc, cfg.Managed) {
		errs = append(errs, field.Forbidden(osPath, fmt.Sprintf(
			"bucket %q at %q is this cluster's managed storage (BSL %q); one storage location per cluster, so use another bucket",
			loc.Bucket, endpointOrAWS(loc.Endpoint), cfg.ManagedBSLName)))
		return errs, nil
	}
	if !cfg.AllowOtherStorage {
		errs = append(errs, field.Forbidden(osPath, fmt.Sprintf(
			"%s is not this cluster's managed storage and other storage is not allowed by the webhook configuration", loc)))
	}
	return errs, nil
}

// validateManagedBSL enforces the managed BSL's invariants.
func validateManagedBSL(cfg *Config, u User, b *velerov1.BackupStorageLocation) (field.ErrorList, admission.Warnings) {
	spec := field.NewPath("spec")
	osPath := spec.Child("objectStorage")
	var errs field.ErrorList
	var warns admission.Warnings
	if !cfg.MayEditManaged(u) {
		errs = append(errs, field.Forbidden(spec, fmt.Sprintf(
			"user %q may not change the spec of the managed BSL %q; it is applied by GitOps", u.Name, b.Name)))
	}
	if !b.Spec.Default {
		errs = append(errs, field.Forbidden(spec.Child("default"), fmt.Sprintf("the managed BSL %q must stay the default", b.Name)))
	}
	loc := LocationOf(b)
	if loc.Bucket != cfg.Managed.Bucket {
		errs = append(errs, field.Invalid(osPath.Child("bucket"), loc.Bucket, fmt.Sprintf("the managed BSL must use the cluster's bucket %q", cfg.Managed.Bucket)))
	}
	if storage.CanonicalEndpoint(loc.Endpoint) != storage.CanonicalEndpoint(cfg.Managed.Endpoint) {
		errs = append(errs, field.Invalid(spec.Child("config").Key(s3URLKey), loc.Endpoint, fmt.Sprintf("the managed BSL must use the cluster's endpoint %q", endpointOrAWS(cfg.Managed.Endpoint))))
	}
	if !prefix.Equal(loc.Prefix, cfg.Managed.Prefix) {
		errs = append(errs, field.Invalid(osPath.Child("prefix"), loc.Prefix, fmt.Sprintf("the managed BSL must use exactly the cluster's prefix %q", cfg.Managed.Prefix)))
	}
	if b.Spec.AccessMode == velerov1.BackupStorageLocationAccessModeReadOnly {
		warns = append(warns, fmt.Sprintf("the managed BSL %q is ReadOnly: no backup can be written until it is ReadWrite again", b.Name))
	}
	return errs, warns
}

// previous reports whether loc is exactly one of the cluster's previous locations.
func previous(cfg *Config, loc Location) bool {
	for _, p := range cfg.PreviousLocations {
		if p.Bucket == loc.Bucket && storage.CanonicalEndpoint(p.Endpoint) == storage.CanonicalEndpoint(loc.Endpoint) && prefix.Equal(p.Prefix, loc.Prefix) {
			return true
		}
	}
	return false
}

func endpointOrAWS(e string) string {
	if e == "" {
		return "AWS S3"
	}
	return e
}
