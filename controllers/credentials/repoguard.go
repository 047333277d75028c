package credentials

import (
	"bytes"
	"context"
	"fmt"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// checkBucket looks into the cluster's storage prefix before the user
// cluster's repository password, Velero's start-up default with no
// BackupRepository object, is replaced by pw. In-cluster objects are no
// proof that nothing is encrypted with the default: a re-installed Velero,
// a restored velero namespace or deleted BackupRepository objects leave
// the repositories in the bucket. When one there does not open with pw
// (BucketRepos.LockedOut), the default stays (repo.inBucket) and res names
// that repository. st are the credentials delivered to the cluster.
func (r *Reconciler) checkBucket(ctx context.Context, c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation, st creds.Static, repo *repoState, pw []byte, res *result) error {
	if !repo.exists || !repo.replaceable() || bytes.Equal(repo.password, pw) {
		return nil
	}
	loc, errs, _, err := storage.Resolve(ctx, cbsl, r.Secrets)
	if err != nil {
		return fmt.Errorf("clusterbackupstoragelocation %s: %w", res.cbsl, err)
	}
	if len(errs) > 0 {
		return configError("clusterbackupstoragelocation %s: %v", res.cbsl, errs.ToAggregate())
	}
	loc.Credentials = st
	if loc, err = loc.ForCluster(c.ProjectID(), c.Name); err != nil {
		return configError("cluster %s: %v", c.Name, err)
	}
	locked, err := r.Repos.LockedOut(ctx, loc, pw)
	if err != nil {
		return fmt.Errorf("cluster %s: velero's default repository password is kept until the bucket can be checked: %w", c.Name, err)
	}
	if locked != "" {
		repo.inBucket, res.bucketRepo = true, locked
	}
	return nil
}
