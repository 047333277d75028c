package storage

import (
	"context"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// DefaultRegion signs requests when a location names no region (AWS's
// default partition answers there).
const DefaultRegion = "us-east-1"

// Location is everything a client needs to talk to a CBSL's object store:
// the S3 settings of its spec and the credentials and CA of its Secrets.
// Its String holds no secret.
type Location struct {
	// Endpoint is config.s3Url as written; "" means AWS S3 in Region.
	Endpoint string
	// Region is config.region; "" means DefaultRegion.
	Region string
	// Bucket is spec.objectStorage.bucket.
	Bucket string
	// Prefix is the CBSL's prefix, or a cluster's effective prefix after
	// ForCluster; normalized, without a trailing "/".
	Prefix string
	// PathStyle is config.s3ForcePathStyle; default true with an s3Url (as
	// DefaultCBSL sets it), false for AWS.
	PathStyle bool
	// CACert is the PEM bundle trusted besides the system roots (CACert).
	CACert []byte
	// InsecureSkipTLSVerify is config.insecureSkipTLSVerify.
	InsecureSkipTLSVerify bool
	// Credentials are the CBSL's own static credentials.
	Credentials creds.Static
}

// String names the location for messages: bucket, endpoint and prefix.
func (l Location) String() string {
	s := "bucket " + l.Bucket
	if l.Endpoint != "" {
		s += " at " + CanonicalEndpoint(l.Endpoint)
	}
	if l.Prefix != "" {
		s += " prefix " + l.Prefix
	}
	return s
}

// ForCluster returns the location of one cluster's backups: the CBSL prefix
// joined with the project and cluster IDs (prefix.Join).
func (l Location) ForCluster(projectID, clusterID string) (Location, error) {
	p, errs := prefix.Join(l.Prefix, projectID, clusterID)
	if len(errs) > 0 {
		return Location{}, errs.ToAggregate()
	}
	l.Prefix = p
	return l, nil
}

// Resolve validates a CBSL (ValidateCBSL) and reads its credential and CA
// Secrets through get, returning the Location, the broken rules (with
// ValidateCBSL's warnings) and an error only for failures to read Secrets.
// When errs is not empty the Location is not usable.
func Resolve(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation, get SecretGetter) (loc Location, errs field.ErrorList, warnings []string, err error) {
	errs, warnings = ValidateCBSL(c, nil)
	if ref := c.Spec.Credential; ref != nil && ref.Name != "" {
		s, err := get(ctx, c.Namespace, ref.Name)
		if err != nil {
			return Location{}, errs, warnings, fmt.Errorf("read secret %s: %w", objectName(c.Namespace, ref.Name), err)
		}
		var credErrs field.ErrorList
		loc.Credentials, credErrs = Credentials(c, s)
		errs = append(errs, credErrs...)
	}
	ca, caErrs, err := CACert(ctx, c, get)
	if err != nil {
		return Location{}, errs, warnings, err
	}
	if os := c.Spec.ObjectStorage; os != nil && len(os.CACert) == 0 && os.CACertRef != nil {
		// Only the Secret's CA is news: ValidateCBSL judged the inline
		// caCert and config.caCert already (each broken rule named once).
		errs = append(errs, caErrs...)
	}
	if len(errs) > 0 {
		return Location{}, errs, warnings, nil
	}
	cfg := c.Spec.Config
	loc.Endpoint, loc.Region, loc.CACert = cfg[ConfigS3URL], cfg[ConfigRegion], ca
	loc.Bucket, loc.Prefix = c.Spec.ObjectStorage.Bucket, prefix.Normalize(c.Spec.ObjectStorage.Prefix)
	loc.PathStyle = loc.Endpoint != ""
	if v, ok := cfg[ConfigS3ForcePathStyle]; ok && v != "" {
		loc.PathStyle, _ = strconv.ParseBool(v) // validated above
	}
	loc.InsecureSkipTLSVerify, _ = strconv.ParseBool(cfg[ConfigInsecureSkipTLSVerify])
	return loc, nil, warnings, nil
}

// Target is where one cluster's backups live: the CBSL's bucket and
// endpoint and the cluster's effective prefix.
type Target struct {
	// Bucket is the CBSL's bucket.
	Bucket string
	// Endpoint is the CBSL's config.s3Url as written ("" for AWS).
	Endpoint string
	// Prefix is join(CBSL prefix, project ID, cluster ID), no trailing "/".
	Prefix string
	// ProjectID and ClusterID identify the cluster.
	ProjectID, ClusterID string
}

// TargetFor validates a Cluster and the CBSL it names (ValidateCluster,
// ValidateCBSL) and returns where the cluster's backups live. The error is
// an *InvalidError naming the object and every broken rule.
func TargetFor(c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation) (Target, error) {
	if errs := ValidateCluster(c, cbsl, ""); len(errs) > 0 {
		return Target{}, &InvalidError{Kind: kkpv1.KindCluster, Name: c.Name, Errs: errs}
	}
	if errs, _ := ValidateCBSL(cbsl, nil); len(errs) > 0 {
		return Target{}, &InvalidError{Kind: kkpv1.KindClusterBackupStorageLocation, Name: objectName(cbsl.Namespace, cbsl.Name), Errs: errs}
	}
	p, _ := prefix.Join(cbsl.Spec.ObjectStorage.Prefix, c.ProjectID(), c.Name)
	return Target{Bucket: cbsl.Spec.ObjectStorage.Bucket, Endpoint: cbsl.Spec.Config[ConfigS3URL], Prefix: p, ProjectID: c.ProjectID(), ClusterID: c.Name}, nil
}

// ProjectArea returns the folder below which a CBSL's clusters live:
// join(CBSL prefix, projectID), normalized.
func ProjectArea(c *kkpv1.ClusterBackupStorageLocation) string {
	p := ""
	if c.Spec.ObjectStorage != nil {
		p = prefix.Normalize(c.Spec.ObjectStorage.Prefix)
	}
	if p == "" {
		return c.Labels[kkpv1.ProjectIDLabel]
	}
	return p + "/" + c.Labels[kkpv1.ProjectIDLabel]
}

// AreasNest reports whether two CBSLs could put one cluster's prefix inside
// another's: they may be the same storage (SameStorage) and their project
// areas (ProjectArea) nest. Equal areas of one project do not count: the
// clusters below them have distinct IDs. Velero marks a location invalid
// when its prefix holds foreign folders, and a nested area would let one
// project's clusters write into another's folders.
func AreasNest(a, b *kkpv1.ClusterBackupStorageLocation) bool {
	if a.Spec.ObjectStorage == nil || b.Spec.ObjectStorage == nil ||
		!SameStorage(a.Spec.ObjectStorage.Bucket, a.Spec.Config[ConfigS3URL], b.Spec.ObjectStorage.Bucket, b.Spec.Config[ConfigS3URL]) {
		return false
	}
	pa, pb := ProjectArea(a), ProjectArea(b)
	return prefix.Nested(pa, pb) && pa != pb
}
