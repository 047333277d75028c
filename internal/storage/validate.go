package storage

import (
	"fmt"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// ProviderAWS is the provider a CBSL uses; "velero.io/aws" is accepted as
// its long form, and an empty provider means aws (DefaultCBSL fills it).
const ProviderAWS = "aws"

// PolicyMetachars are the characters IAM reads as wildcards ("*", "?") or
// policy variables ("$") in resources and conditions; a prefix holding one
// would widen the per-cluster grant that the policy command writes.
const PolicyMetachars = "*?$"

// ValidateCBSL checks everything about a CBSL that needs no other object and
// no network, at fldPath (nil: the object's root). It returns one error per
// broken rule and warnings for accepted but risky settings.
func ValidateCBSL(c *kkpv1.ClusterBackupStorageLocation, fldPath *field.Path) (field.ErrorList, []string) {
	var (
		errs     field.ErrorList
		warnings []string
		spec     = fldPath.Child("spec")
	)
	errs = append(errs, ValidateProjectLabel(c.Labels, fldPath)...)
	if p := c.Spec.Provider; p != "" && p != ProviderAWS && p != "velero.io/"+ProviderAWS {
		errs = append(errs, field.NotSupported(spec.Child("provider"), p, []string{ProviderAWS}))
	}
	switch c.Spec.AccessMode {
	case "", velerov1.BackupStorageLocationAccessModeReadWrite, velerov1.BackupStorageLocationAccessModeReadOnly:
	default:
		errs = append(errs, field.NotSupported(spec.Child("accessMode"), string(c.Spec.AccessMode),
			[]string{string(velerov1.BackupStorageLocationAccessModeReadWrite), string(velerov1.BackupStorageLocationAccessModeReadOnly)}))
	}
	osPath := spec.Child("objectStorage")
	if os := c.Spec.ObjectStorage; os == nil {
		errs = append(errs, field.Required(osPath, "a CBSL needs objectStorage.bucket"))
	} else {
		errs = append(errs, ValidateBucketName(os.Bucket, osPath.Child("bucket"))...)
		errs = append(errs, ValidatePrefix(os.Prefix, osPath.Child("prefix"))...)
		if len(os.CACert) > 0 {
			errs = append(errs, ValidateCACert(os.CACert, osPath.Child("caCert"))...)
			if os.CACertRef != nil {
				errs = append(errs, field.Forbidden(osPath.Child("caCertRef"), "set either caCert or caCertRef, not both"))
			}
		}
		if ref := os.CACertRef; ref != nil && (ref.Name == "" || ref.Key == "") {
			errs = append(errs, field.Required(osPath.Child("caCertRef"), "needs name and key of a Secret in the CBSL's namespace"))
		}
	}
	cfgErrs, cfgWarnings := validateConfig(c.Spec.Config, spec.Child("config"))
	errs, warnings = append(errs, cfgErrs...), append(warnings, cfgWarnings...)
	cred := spec.Child("credential")
	switch {
	case c.Spec.Credential == nil:
		errs = append(errs, field.Required(cred, "name a Secret in the CBSL's namespace holding accessKeyId + secretAccessKey or an AWS credentials file"))
	case c.Spec.Credential.Name == "":
		errs = append(errs, field.Required(cred.Child("name"), "name a Secret in the CBSL's namespace"))
	}
	if c.Spec.Default {
		warnings = append(warnings, "spec.default has no meaning on a CBSL; each cluster's own BSL is made its default")
	}
	return errs, warnings
}

// ValidatePrefix checks a CBSL prefix: internal/prefix's segment rules, and
// none of the characters IAM policies read as wildcards or variables.
func ValidatePrefix(p string, fldPath *field.Path) field.ErrorList {
	errs := prefix.Validate(p, fldPath)
	if strings.ContainsAny(p, PolicyMetachars) {
		errs = append(errs, field.Invalid(fldPath, p,
			"must not contain '*', '?' or '$': IAM policies read them as wildcards or variables, which would widen a per-cluster grant"))
	}
	return errs
}

// ValidateProjectLabel requires, at fldPath (nil: the object root), the project-id label, a single safe prefix
// segment (it becomes one in every cluster's prefix).
func ValidateProjectLabel(labels map[string]string, fldPath *field.Path) field.ErrorList {
	p := fldPath.Child("metadata", "labels").Key(kkpv1.ProjectIDLabel)
	id, ok := labels[kkpv1.ProjectIDLabel]
	if !ok {
		return field.ErrorList{field.Required(p, "a CBSL belongs to one project")}
	}
	return prefix.ValidateSegment(id, p)
}

// ValidateCluster checks a Cluster and its binding to the CBSL it names
// (cbsl nil: not found in namespace ns): the project and cluster IDs are
// single safe prefix segments, the Cluster names a CBSL, the CBSL exists and
// belongs to the Cluster's project. Paths are relative to the Cluster.
func ValidateCluster(c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation, ns string) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, prefix.ValidateSegment(c.ProjectID(), field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel))...)
	errs = append(errs, prefix.ValidateSegment(c.Name, field.NewPath("metadata", "name"))...)
	ref := field.NewPath("spec", "backupConfig", "backupStorageLocation", "name")
	name := c.StorageLocationName()
	switch {
	case name == "":
		errs = append(errs, field.Required(ref, "the cluster must name its ClusterBackupStorageLocation"))
	case cbsl == nil:
		e := field.NotFound(ref, name)
		e.Detail = "no ClusterBackupStorageLocation " + objectName(ns, name)
		errs = append(errs, e)
	case cbsl.Name != name:
		errs = append(errs, field.Invalid(ref, name, fmt.Sprintf("the cluster uses ClusterBackupStorageLocation %q, not the given %s", name, objectName(cbsl.Namespace, cbsl.Name))))
	case cbsl.Labels[kkpv1.ProjectIDLabel] != c.ProjectID():
		errs = append(errs, field.Forbidden(ref, fmt.Sprintf("ClusterBackupStorageLocation %s belongs to project %q, not to the cluster's project %q; a cluster may only use its own project's storage",
			objectName(cbsl.Namespace, cbsl.Name), cbsl.Labels[kkpv1.ProjectIDLabel], c.ProjectID())))
	}
	return errs
}

// DefaultCBSL fills a CBSL's defaults in place, as the seed's mutating
// webhook does: provider "aws", accessMode ReadWrite, and s3ForcePathStyle
// "true" when an s3Url is set and the key is absent (S3-compatible servers
// rarely serve virtual-hosted buckets). It never overwrites a set value.
func DefaultCBSL(c *kkpv1.ClusterBackupStorageLocation) {
	if c.Spec.Provider == "" {
		c.Spec.Provider = ProviderAWS
	}
	if c.Spec.AccessMode == "" {
		c.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadWrite
	}
	if c.Spec.Config[ConfigS3URL] != "" {
		if _, ok := c.Spec.Config[ConfigS3ForcePathStyle]; !ok {
			c.Spec.Config[ConfigS3ForcePathStyle] = "true"
		}
	}
}

func objectName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
