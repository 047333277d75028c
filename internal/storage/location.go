package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

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
	// ProjectID and ClusterID identify the cluster after ForCluster or
	// TargetFor; "" for a CBSL's own location.
	ProjectID, ClusterID string
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
	l.Prefix, l.ProjectID, l.ClusterID = p, projectID, clusterID
	return l, nil
}

// Resolve validates a CBSL (ValidateCBSL) and reads its credential and CA
// Secrets through get, returning the Location, the broken rules (with
// ValidateCBSL's warnings) and an error only for failures to read Secrets.
// When errs is not empty or err is set the Location is not usable; it still
// says where the data lives (Bucket, Endpoint, Region, Prefix) when the
// CBSL's own rules passed and only its Secrets failed.
func Resolve(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation, get SecretGetter) (loc Location, errs field.ErrorList, warnings []string, err error) {
	errs, warnings = ValidateCBSL(c, nil)
	var where Location
	if len(errs) == 0 {
		where = whereOf(c)
	}
	if ref := c.Spec.Credential; ref != nil && ref.Name != "" {
		s, err := get(ctx, c.Namespace, ref.Name)
		if err != nil {
			return where, errs, warnings, fmt.Errorf("read secret %s: %w", objectName(c.Namespace, ref.Name), err)
		}
		var credErrs field.ErrorList
		loc.Credentials, credErrs = Credentials(c, s)
		errs = append(errs, credErrs...)
	}
	ca, caErrs, err := CACert(ctx, c, get)
	if err != nil {
		return where, errs, warnings, err
	}
	if os := c.Spec.ObjectStorage; os != nil && len(os.CACert) == 0 && os.CACertRef != nil {
		// Only the Secret's CA is news: ValidateCBSL judged the inline
		// caCert and config.caCert already (each broken rule named once).
		errs = append(errs, caErrs...)
	}
	if len(errs) > 0 {
		return where, errs, warnings, nil
	}
	where.Credentials, where.CACert = loc.Credentials, ca
	return where, nil, warnings, nil
}

// whereOf returns the S3 settings of a valid CBSL's spec: endpoint, region,
// bucket, prefix, path style and TLS setting.
func whereOf(c *kkpv1.ClusterBackupStorageLocation) Location {
	cfg := c.Spec.Config
	loc := Location{Endpoint: cfg[ConfigS3URL], Region: cfg[ConfigRegion]}
	loc.Bucket, loc.Prefix = c.Spec.ObjectStorage.Bucket, prefix.Normalize(c.Spec.ObjectStorage.Prefix)
	loc.PathStyle = loc.Endpoint != ""
	if v, ok := cfg[ConfigS3ForcePathStyle]; ok && v != "" {
		loc.PathStyle, _ = strconv.ParseBool(v) // validated
	}
	loc.InsecureSkipTLSVerify, _ = strconv.ParseBool(cfg[ConfigInsecureSkipTLSVerify])
	return loc
}

// ResolveCluster is the one judgement of a Cluster and the CBSL it names
// that every later step takes: ValidateCluster, then Resolve (ValidateCBSL,
// the credential and CA Secrets), and the cluster's effective prefix
// (Location.ForCluster). A broken rule is an *InvalidError naming the
// object and every broken rule (MissingCredential tells an absent
// credential Secret apart); a failure to read a Secret is returned wrapped.
// On error the Location still says where the data lives when the Cluster
// and the CBSL's own rules passed.
func ResolveCluster(ctx context.Context, c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation, get SecretGetter) (Location, error) {
	if errs := ValidateCluster(c, cbsl, cbsl.Namespace); len(errs) > 0 {
		return Location{}, &InvalidError{Kind: kkpv1.KindCluster, Name: c.Name, Errs: errs}
	}
	loc, errs, _, err := Resolve(ctx, cbsl, get)
	if loc.Bucket != "" {
		// The rules passed, so the cluster's prefix joins.
		loc, _ = loc.ForCluster(c.ProjectID(), c.Name)
	}
	switch {
	case err != nil:
		return loc, fmt.Errorf("clusterbackupstoragelocation %s: %w", objectName(cbsl.Namespace, cbsl.Name), err)
	case len(errs) > 0:
		return loc, &InvalidError{Kind: kkpv1.KindClusterBackupStorageLocation, Name: objectName(cbsl.Namespace, cbsl.Name), Errs: errs}
	}
	return loc, nil
}

// MissingCredential reports whether err (ResolveCluster's) says that the
// CBSL's credential Secret does not exist (for the CBSL's project), rather
// than that it is broken or the location is.
func MissingCredential(err error) bool {
	var ie *InvalidError
	if !errors.As(err, &ie) || ie.Kind != kkpv1.KindClusterBackupStorageLocation {
		return false
	}
	for _, e := range ie.Errs {
		if e.Type == field.ErrorTypeNotFound && e.Field == credentialNamePath.String() {
			return true
		}
	}
	return false
}

// credentialNamePath is the field an absent credential Secret is reported at.
var credentialNamePath = field.NewPath("spec", "credential", "name")

// TargetFor validates a Cluster and the CBSL it names (ValidateCluster,
// ValidateCBSL) without reading Secrets and returns where the cluster's
// backups live: the Location without credentials or CA, with the cluster's
// effective prefix and IDs. The error is an *InvalidError naming the object
// and every broken rule.
func TargetFor(c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation) (Location, error) {
	if errs := ValidateCluster(c, cbsl, ""); len(errs) > 0 {
		return Location{}, &InvalidError{Kind: kkpv1.KindCluster, Name: c.Name, Errs: errs}
	}
	if errs, _ := ValidateCBSL(cbsl, nil); len(errs) > 0 {
		return Location{}, &InvalidError{Kind: kkpv1.KindClusterBackupStorageLocation, Name: objectName(cbsl.Namespace, cbsl.Name), Errs: errs}
	}
	return whereOf(cbsl).ForCluster(c.ProjectID(), c.Name)
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

// SigningRegion is the region requests to the location are signed for:
// Region, or DefaultRegion.
func (l Location) SigningRegion() string {
	if l.Region == "" {
		return DefaultRegion
	}
	return l.Region
}

// BaseURL is the S3 URL requests go to: Endpoint without a trailing "/", or
// AWS's regional endpoint of SigningRegion ("https://s3.<region>.amazonaws.com",
// ".com.cn" in the cn- regions).
func (l Location) BaseURL() string {
	if l.Endpoint != "" {
		return strings.TrimSuffix(l.Endpoint, "/")
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(l.SigningRegion(), "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://s3." + l.SigningRegion() + "." + domain
}

// ListPrefix is the ListObjectsV2 prefix of the location's folder: "p/", or
// "" for the bucket root.
func (l Location) ListPrefix() string {
	if p := prefix.Normalize(l.Prefix); p != "" {
		return p + "/"
	}
	return ""
}
