package s3policy

import (
	"fmt"
	"regexp"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Target is where one cluster's backups live: a bucket and the cluster's
// effective prefix (CBSL prefix / project ID / cluster ID).
type Target struct {
	// Bucket is the CBSL's bucket.
	Bucket string
	// Prefix is the effective prefix from prefix.Join, without a trailing "/".
	Prefix string
	// ProjectID and ClusterID identify the cluster.
	ProjectID, ClusterID string
}

// bucketName is the S3 bucket naming rule (lowercase letters, digits, dots
// and hyphens; 3–63 characters; alphanumeric at both ends).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// policyMetachars are the characters IAM treats as wildcards ("*", "?") or
// policy variables ("$") in resources and StringLike values; a prefix holding
// one would widen the grant.
const policyMetachars = "*?$"

// ValidateCluster checks the Cluster side of a cluster/location pair: the
// project and cluster IDs are safe prefix segments and the cluster names
// loc as its storage location.
func ValidateCluster(c *kkpv1.Cluster, loc *kkpv1.ClusterBackupStorageLocation) field.ErrorList {
	errs := prefix.ValidateSegment(c.ProjectID(), field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel))
	errs = append(errs, prefix.ValidateSegment(c.Name, field.NewPath("metadata", "name"))...)
	ref := field.NewPath("spec", "backupConfig", "backupStorageLocation", "name")
	switch name := c.StorageLocationName(); {
	case name == "":
		errs = append(errs, field.Required(ref, fmt.Sprintf("the cluster has no backup storage location (expected %q)", loc.Name)))
	case name != loc.Name:
		errs = append(errs, field.Invalid(ref, name, fmt.Sprintf("the cluster uses another storage location than the given ClusterBackupStorageLocation %q", loc.Name)))
	}
	return errs
}

// ValidateLocation checks the CBSL side of a cluster/location pair: it
// belongs to the cluster's project, is an S3 location with a valid bucket,
// and its prefix is valid.
func ValidateLocation(loc *kkpv1.ClusterBackupStorageLocation, c *kkpv1.Cluster) field.ErrorList {
	var errs field.ErrorList
	lbl := field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel)
	switch p := loc.Labels[kkpv1.ProjectIDLabel]; {
	case p == "":
		errs = append(errs, field.Required(lbl, fmt.Sprintf("the storage location must belong to the project of cluster %q (%q)", c.Name, c.ProjectID())))
	case p != c.ProjectID():
		errs = append(errs, field.Invalid(lbl, p, fmt.Sprintf("must equal the project of cluster %q (%q): a cluster may only use its own project's storage location", c.Name, c.ProjectID())))
	}
	if pr := loc.Spec.Provider; pr != "aws" && pr != "velero.io/aws" {
		errs = append(errs, field.NotSupported(field.NewPath("spec", "provider"), pr, []string{"aws", "velero.io/aws"}))
	}
	osPath := field.NewPath("spec", "objectStorage")
	if loc.Spec.ObjectStorage == nil {
		return append(errs, field.Required(osPath, "an S3 bucket is required"))
	}
	switch b := loc.Spec.ObjectStorage.Bucket; {
	case b == "":
		errs = append(errs, field.Required(osPath.Child("bucket"), "an S3 bucket is required"))
	case !bucketName.MatchString(b) || strings.Contains(b, ".."):
		errs = append(errs, field.Invalid(osPath.Child("bucket"), b, "must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"))
	}
	return append(errs, prefix.Validate(loc.Spec.ObjectStorage.Prefix, osPath.Child("prefix"))...)
}

// ValidatePolicyPrefix checks that a CBSL prefix is free of IAM wildcard and
// variable characters, which would widen a generated grant.
func ValidatePolicyPrefix(loc *kkpv1.ClusterBackupStorageLocation) field.ErrorList {
	if loc.Spec.ObjectStorage == nil || !strings.ContainsAny(loc.Spec.ObjectStorage.Prefix, policyMetachars) {
		return nil
	}
	return field.ErrorList{field.Invalid(field.NewPath("spec", "objectStorage", "prefix"), loc.Spec.ObjectStorage.Prefix,
		"must not contain '*', '?' or '$': IAM policies read them as wildcards or variables, which would widen the grant")}
}

// Locate validates a cluster and its storage location and returns the
// cluster's bucket and effective prefix. The error names the object and
// lists every broken rule with its field path.
func Locate(c *kkpv1.Cluster, loc *kkpv1.ClusterBackupStorageLocation) (Target, error) {
	if errs := ValidateCluster(c, loc); len(errs) > 0 {
		return Target{}, fmt.Errorf("cluster %q: %w", c.Name, errs.ToAggregate())
	}
	if errs := ValidateLocation(loc, c); len(errs) > 0 {
		return Target{}, locationErr(loc, errs)
	}
	p, errs := prefix.Join(loc.Spec.ObjectStorage.Prefix, c.ProjectID(), c.Name)
	if len(errs) > 0 { // unreachable after the checks above; kept as a guard
		return Target{}, fmt.Errorf("cluster %q: %w", c.Name, errs.ToAggregate())
	}
	return Target{Bucket: loc.Spec.ObjectStorage.Bucket, Prefix: p, ProjectID: c.ProjectID(), ClusterID: c.Name}, nil
}

// TargetFor is Locate plus the rule that the prefix can be written into an
// IAM policy (ValidatePolicyPrefix).
func TargetFor(c *kkpv1.Cluster, loc *kkpv1.ClusterBackupStorageLocation) (Target, error) {
	t, err := Locate(c, loc)
	if err != nil {
		return Target{}, err
	}
	if errs := ValidatePolicyPrefix(loc); len(errs) > 0 {
		return Target{}, locationErr(loc, errs)
	}
	return t, nil
}

func locationErr(loc *kkpv1.ClusterBackupStorageLocation, errs field.ErrorList) error {
	return fmt.Errorf("ClusterBackupStorageLocation %s: %w", objectName(loc.Namespace, loc.Name), errs.ToAggregate())
}

func objectName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
