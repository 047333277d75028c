package s3policy

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/clusterbackup/clusterbackup/internal/storage"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// Actions granted per cluster, grouped by the resource they apply to.
var (
	// ListActions apply to the bucket, restricted by an s3:prefix condition.
	ListActions = []string{"s3:ListBucket"}
	// LocationActions apply to the bucket without a condition: the AWS plugin
	// and kopia look up the bucket's location.
	LocationActions = []string{"s3:GetBucketLocation"}
	// ObjectActions apply to objects below the cluster prefix; the multipart
	// ones are what the AWS plugin's uploader uses for large tarballs.
	ObjectActions = []string{
		"s3:AbortMultipartUpload",
		"s3:DeleteObject",
		"s3:GetObject",
		"s3:ListMultipartUploadParts",
		"s3:PutObject",
	}
)

// Grant pairs a cluster's target with the credential that may use it.
type Grant struct {
	// Target is the cluster's bucket and prefix.
	Target Target
	// Principal is the credential's access key ID or IAM ARN.
	Principal string
}

// BucketARN returns the ARN of a bucket.
func BucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// ObjectsARN returns the ARN pattern of every object below a prefix.
func ObjectsARN(bucket, p string) string { return BucketARN(bucket) + "/" + p + "/*" }

// ListPrefixes returns the s3:prefix values a cluster may list with: its
// folder and everything below it, never the bare prefix (see the package doc).
func ListPrefixes(p string) []string { return []string{p + "/", p + "/*"} }

// SidBase returns the stable statement-ID stem of a cluster: "Cluster" and
// the cluster ID's letters and digits.
func SidBase(clusterID string) string {
	return "Cluster" + strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, clusterID)
}

// Options shape every cluster's statement set. The zero value is the
// default, prefix-confined policy.
type Options struct {
	// AllowBucketLevelReads grants s3:ListBucket on the bucket without the
	// s3:prefix condition (statement "<Sid>ListBucket" instead of
	// "<Sid>ListPrefix"). AWS then answers HeadBucket, and a HEAD or GET of a
	// missing object with 404 instead of 403 — which the AWS plugin's
	// ObjectExists (a backup fails on anything but NotFound) and kopia's
	// connect (a missing .storageconfig must be NotFound) need on AWS S3. The
	// price: the credential can list every key of the bucket, the names and
	// sizes of other clusters' backups (not their content). Default false.
	AllowBucketLevelReads bool
}

// Statements returns one cluster's statement set of the default policy.
// principal is empty for an identity policy.
func Statements(t Target, principal string) []Statement { return Options{}.Statements(t, principal) }

// Statements returns one cluster's statement set. principal is empty for an
// identity policy.
func (o Options) Statements(t Target, principal string) []Statement {
	var p *Principal
	if principal != "" {
		p = &Principal{AWS: []string{principal}}
	}
	base := SidBase(t.ClusterID)
	list := Statement{
		Sid: base + "ListPrefix", Effect: "Allow", Principal: p,
		Action:    clone(ListActions),
		Resource:  []string{BucketARN(t.Bucket)},
		Condition: map[string]map[string][]string{"StringLike": {"s3:prefix": ListPrefixes(t.Prefix)}},
	}
	if o.AllowBucketLevelReads {
		list.Sid, list.Condition = base+"ListBucket", nil
	}
	return []Statement{
		list,
		{
			Sid: base + "BucketLocation", Effect: "Allow", Principal: p,
			Action:   clone(LocationActions),
			Resource: []string{BucketARN(t.Bucket)},
		},
		{
			Sid: base + "Objects", Effect: "Allow", Principal: p,
			Action:   clone(ObjectActions),
			Resource: []string{ObjectsARN(t.Bucket, t.Prefix)},
		},
	}
}

// IdentityPolicy returns the IAM identity policy for one cluster's dedicated
// credential (attach it to the IAM user or role; it has no Principal).
func IdentityPolicy(t Target) (*Document, error) { return Options{}.IdentityPolicy(t) }

// IdentityPolicy is the package's IdentityPolicy with these options.
func (o Options) IdentityPolicy(t Target) (*Document, error) {
	if err := checkTarget(t); err != nil {
		return nil, err
	}
	return &Document{Version: Version, Statement: o.Statements(t, "")}, nil
}

// BucketPolicy returns one bucket policy holding a statement set per grant,
// ordered by project and cluster ID so the output does not depend on input
// order. All grants must target the same bucket; a cluster may appear once;
// prefixes must not nest (Velero would see another cluster's folders).
func BucketPolicy(grants ...Grant) (*Document, error) { return Options{}.BucketPolicy(grants...) }

// BucketPolicy is the package's BucketPolicy with these options.
func (o Options) BucketPolicy(grants ...Grant) (*Document, error) {
	if len(grants) == 0 {
		return nil, fmt.Errorf("no clusters to grant")
	}
	gs := append([]Grant(nil), grants...)
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].Target.ProjectID != gs[j].Target.ProjectID {
			return gs[i].Target.ProjectID < gs[j].Target.ProjectID
		}
		return gs[i].Target.ClusterID < gs[j].Target.ClusterID
	})
	doc := &Document{Version: Version}
	sids := map[string]string{}
	for i, g := range gs {
		t := g.Target
		if err := checkTarget(t); err != nil {
			return nil, err
		}
		if errs := ValidatePrincipal(g.Principal, field.NewPath("principal")); len(errs) > 0 {
			return nil, fmt.Errorf("cluster %q: %w", t.ClusterID, errs.ToAggregate())
		}
		if t.Bucket != gs[0].Target.Bucket {
			return nil, fmt.Errorf("cluster %q uses bucket %q and cluster %q bucket %q: a bucket policy covers one bucket", gs[0].Target.ClusterID, gs[0].Target.Bucket, t.ClusterID, t.Bucket)
		}
		for _, o := range gs[:i] {
			if prefix.Nested(o.Target.Prefix, t.Prefix) {
				return nil, fmt.Errorf("clusters %q and %q have overlapping prefixes %q and %q", o.Target.ClusterID, t.ClusterID, o.Target.Prefix, t.Prefix)
			}
		}
		base := SidBase(t.ClusterID)
		if other, dup := sids[base]; dup {
			return nil, fmt.Errorf("clusters %q and %q map to the same statement ID %q", other, t.ClusterID, base)
		}
		sids[base] = t.ClusterID
		doc.Statement = append(doc.Statement, o.Statements(t, g.Principal)...)
	}
	return doc, nil
}

// checkTarget rejects a Target that was not built by storage.TargetFor.
func checkTarget(t Target) error {
	switch {
	case t.Bucket == "" || t.Prefix == "" || t.ClusterID == "":
		return fmt.Errorf("incomplete target %+v: build it with storage.TargetFor", t)
	case strings.ContainsAny(t.Bucket+t.Prefix, storage.PolicyMetachars):
		return fmt.Errorf("target of cluster %q: bucket or prefix holds one of %q", t.ClusterID, storage.PolicyMetachars)
	}
	return nil
}

func clone(s []string) []string { return append([]string(nil), s...) }
