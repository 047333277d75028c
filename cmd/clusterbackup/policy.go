//go:build !webhookonly

package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/s3policy"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// policyKinds are the documents `clusterbackup policy` can emit.
const (
	policyKindBucket = "bucket"
	policyKindIAM    = "iam"
)

// runPolicy emits the S3 bucket policy or IAM identity policy that confines a
// cluster's dedicated credential to the cluster's prefix, or for a fleet
// (-f) one bucket policy with a statement set per cluster.
func runPolicy(_ context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "policy")
	clusterFile := fs.String("cluster", "", "`file` holding the KKP Cluster")
	cbslFile := fs.String("cbsl", "", "`file` holding the cluster's ClusterBackupStorageLocation")
	kind := fs.String("kind", policyKindBucket, "policy to emit: bucket (S3 bucket policy) or iam (IAM identity policy)")
	bucket := fs.String("bucket", "", "fleet: the `bucket` to write the policy for when the fleet uses several")
	var opts s3policy.Options
	fs.BoolVar(&opts.AllowBucketLevelReads, "allow-bucket-level-reads", false, "trade-off for AWS S3: grant s3:ListBucket without the prefix condition, so HeadBucket works and a missing object is 404, not 403 (the AWS plugin and kopia need that on AWS); each credential can then list every key name in the bucket (docs/isolation.md)")
	var principals, files []string
	fs.Var(listOf(&principals), "principal", "the cluster's dedicated credential: access key ID or IAM ARN; with -f repeat as CLUSTER=PRINCIPAL")
	fs.Var(listOf(&files), "f", "fleet: a `file or directory` of Clusters and ClusterBackupStorageLocations (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage:\n  clusterbackup policy --cluster FILE --cbsl FILE [--principal P] [--kind bucket|iam]\n  clusterbackup policy -f DIR|FILE... --principal CLUSTER=P... [--bucket B]\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *kind != policyKindBucket && *kind != policyKindIAM:
		return fmt.Errorf("%w: --kind must be %q or %q, not %q", errUsage, policyKindBucket, policyKindIAM, *kind)
	case len(files) > 0 && (*clusterFile != "" || *cbslFile != ""):
		return fmt.Errorf("%w: use either -f or --cluster/--cbsl", errUsage)
	case len(files) > 0:
		if *kind != policyKindBucket {
			return fmt.Errorf("%w: an IAM identity policy is per credential; use --cluster/--cbsl for --kind iam", errUsage)
		}
		return fleetPolicy(s, opts, files, principals, *bucket)
	case *clusterFile == "" || *cbslFile == "":
		return fmt.Errorf("%w: --cluster and --cbsl are required (or -f for a fleet)", errUsage)
	case *bucket != "":
		return fmt.Errorf("%w: --bucket is for -f only", errUsage)
	}
	loc, t, err := loadTarget(*clusterFile, *cbslFile)
	if err != nil {
		return err
	}
	policyWarnRegion(s.Err, loc)
	warnBucketLevelReads(s, opts, t.Bucket)
	var doc *s3policy.Document
	if *kind == policyKindIAM {
		if len(principals) > 1 {
			return fmt.Errorf("%w: --principal given %d times", errUsage, len(principals))
		}
		doc, err = opts.IdentityPolicy(t)
	} else {
		if len(principals) != 1 {
			return fmt.Errorf("%w: a bucket policy needs exactly one --principal (the cluster's access key ID or IAM ARN)", errUsage)
		}
		if errs := s3policy.ValidatePrincipal(principals[0], field.NewPath("--principal")); len(errs) > 0 {
			return fmt.Errorf("%w: %v", errUsage, errs.ToAggregate())
		}
		doc, err = opts.BucketPolicy(s3policy.Grant{Target: t, Principal: principals[0]})
	}
	if err != nil {
		return err
	}
	return writePolicy(s, doc, *kind)
}

// fleetPolicy merges the bucket policy of every cluster in the fleet that has
// a storage location in the chosen bucket.
func fleetPolicy(s streams, opts s3policy.Options, files, principalArgs []string, bucket string) error {
	principals := map[string]string{}
	for _, a := range principalArgs {
		id, p, ok := strings.Cut(a, "=")
		if !ok || id == "" {
			return fmt.Errorf("%w: with -f, --principal is CLUSTER=PRINCIPAL, got %q", errUsage, a)
		}
		if errs := s3policy.ValidatePrincipal(p, field.NewPath("--principal").Key(id)); len(errs) > 0 {
			return fmt.Errorf("%w: %v", errUsage, errs.ToAggregate())
		}
		if _, dup := principals[id]; dup {
			return fmt.Errorf("%w: --principal given twice for cluster %q", errUsage, id)
		}
		principals[id] = p
	}
	fl, err := input.Load(s.In, files...)
	if err != nil {
		return err
	}
	locations := map[string]input.Sourced[*kkpv1.ClusterBackupStorageLocation]{}
	for _, l := range fl.CBSLs {
		if prev, dup := locations[l.Object.Name]; dup {
			return fmt.Errorf("%s: ClusterBackupStorageLocation %q is also defined in %s", l.Source, l.Object.Name, prev.Source)
		}
		locations[l.Object.Name] = l
	}
	clusters := map[string]string{}
	var (
		grants  []s3policy.Grant
		missing []string
		buckets = map[string]bool{}
		used    = map[string]bool{}
	)
	for _, sc := range fl.Clusters {
		c := sc.Object
		if prev, dup := clusters[c.Name]; dup {
			return fmt.Errorf("%s: cluster %q is also defined in %s", sc.Source, c.Name, prev)
		}
		clusters[c.Name] = sc.Source
		name := c.StorageLocationName()
		if name == "" {
			continue // backups disabled for this cluster
		}
		sl, ok := locations[name]
		if !ok {
			return fmt.Errorf("%s: cluster %q: spec.backupConfig.backupStorageLocation.name: ClusterBackupStorageLocation %q is not among the inputs", sc.Source, c.Name, name)
		}
		t, err := storage.TargetFor(c, sl.Object)
		if err != nil {
			return fmt.Errorf("%s, %s: %w", sc.Source, sl.Source, err)
		}
		buckets[t.Bucket] = true
		if bucket != "" && t.Bucket != bucket {
			continue
		}
		if !used[name] {
			used[name] = true
			policyWarnRegion(s.Err, sl.Object)
		}
		p, ok := principals[c.Name]
		if !ok {
			missing = append(missing, c.Name)
			continue
		}
		grants = append(grants, s3policy.Grant{Target: t, Principal: p})
	}
	for id := range principals {
		if _, ok := clusters[id]; !ok {
			return fmt.Errorf("%w: --principal names cluster %q, which is not among the inputs", errUsage, id)
		}
	}
	switch names := slices.Sorted(maps.Keys(buckets)); {
	case len(names) == 0:
		return fmt.Errorf("no cluster in %s has a backup storage location", strings.Join(files, ", "))
	case bucket != "" && !buckets[bucket]:
		return fmt.Errorf("no cluster uses bucket %q (buckets in the fleet: %s)", bucket, strings.Join(names, ", "))
	case bucket == "" && len(names) > 1:
		return fmt.Errorf("%w: the fleet uses %d buckets (%s); a bucket policy covers one: choose it with --bucket", errUsage, len(names), strings.Join(names, ", "))
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%w: no --principal CLUSTER=PRINCIPAL for cluster(s) %s: each cluster needs its own dedicated credential", errUsage, strings.Join(missing, ", "))
	}
	doc, err := opts.BucketPolicy(grants...)
	if err != nil {
		return err
	}
	warnBucketLevelReads(s, opts, grants[0].Target.Bucket)
	return writePolicy(s, doc, policyKindBucket)
}

// policyWarnRegion notes on stderr that without a region Velero's AWS plugin calls
// HeadBucket, which a prefix-scoped credential may not do.
func policyWarnRegion(w io.Writer, loc *kkpv1.ClusterBackupStorageLocation) {
	if loc.Spec.Config["region"] == "" && loc.Spec.Config["s3Url"] == "" {
		fmt.Fprintf(w, "warning: ClusterBackupStorageLocation %s has no spec.config.region: Velero's AWS plugin then looks the region up with HeadBucket, which a prefix-scoped credential is not allowed; set the region\n", loc.Name)
	}
}

// writePolicy prints the document, warning on stderr when it exceeds AWS's
// size limit for its kind.
func writePolicy(s streams, doc *s3policy.Document, kind string) error {
	b, err := doc.JSON()
	if err != nil {
		return err
	}
	size, err := doc.Size()
	if err != nil {
		return err
	}
	switch {
	case kind == policyKindBucket && size > s3policy.MaxBucketPolicyBytes:
		fmt.Fprintf(s.Err, "warning: the bucket policy has %d bytes; AWS accepts at most %d: split the fleet over buckets or attach --kind iam policies per credential instead\n", size, s3policy.MaxBucketPolicyBytes)
	case kind == policyKindIAM && size > s3policy.MaxInlineUserPolicyBytes:
		fmt.Fprintf(s.Err, "warning: the IAM policy has %d bytes; AWS accepts at most %d for a user's inline policies: attach it as a managed policy\n", size, s3policy.MaxInlineUserPolicyBytes)
	}
	_, err = s.Out.Write(b)
	return err
}

// warnBucketLevelReads says what --allow-bucket-level-reads gives away.
func warnBucketLevelReads(s streams, o s3policy.Options, bucket string) {
	if o.AllowBucketLevelReads {
		fmt.Fprintf(s.Err, "warning: --allow-bucket-level-reads: each credential may list every key in bucket %q, the names and sizes of other clusters' backups (not their content)\n", bucket)
	}
}
