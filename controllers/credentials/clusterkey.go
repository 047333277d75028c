package credentials

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// key is the storage key the loop delivers to one cluster.
type key struct {
	// st are the static credentials.
	st creds.Static
	// secret is the Secret they came from (nil: none), and cbsl the CBSL
	// it was read as: for a per-cluster Secret a copy of the cluster's CBSL
	// whose spec.credential names that Secret.
	secret *corev1.Secret
	cbsl   *kkpv1.ClusterBackupStorageLocation
	// source is "namespace/name" of the Secret, for Events.
	source string
	// dedicated: the cluster's own Secret (ClusterSecretName), not the
	// CBSL's.
	dedicated bool
}

// ClusterSecretName returns the name of the seed Secret (in the CBSL
// namespace) holding a cluster's dedicated storage key:
// Options.ClusterSecretPrefix + cluster ID.
func (r *Reconciler) ClusterSecretName(clusterID string) string {
	return r.Options.ClusterSecretPrefix + clusterID
}

// keyFor returns the key to deliver to cluster c of cbsl. A dedicated
// Secret of the cluster (ClusterSecretName) takes precedence over the
// CBSL's; it must be the cluster's by its labels (cluster-id, and the
// project-id the CBSL's credential Secrets carry) and hold the layouts the
// CBSL's may (storage.Credentials). A dedicated Secret that fails is a
// configuration error: the loop never falls back to the CBSL's shared key
// behind the operator's back.
//
// The dedicated Secret is looked up in the cache only: most clusters have
// none, and asking the API each resync would cost every cluster a read. A
// dedicated Secret the cache has not seen yet reaches the cluster in the
// reconcile its watch event triggers (clustersOfSecret maps it by name).
func (r *Reconciler) keyFor(ctx context.Context, c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation) (key, error) {
	name := r.ClusterSecretName(c.Name)
	s, err := r.cachedSecret(ctx, client.ObjectKey{Namespace: r.Namespace, Name: name})
	if err != nil {
		return key{}, err
	}
	k := key{cbsl: cbsl}
	if s != nil {
		k.source, k.dedicated = r.Namespace+"/"+name, true
		if err := clusterSecretOf(s, c); err != nil {
			return key{}, configError("secret %s is not the dedicated storage key of cluster %s: %v; label it (%s=%s, %s=%s) if it is, or delete it to use the key of clusterbackupstoragelocation %s/%s (docs/credentials.md)",
				k.source, c.Name, err, ClusterIDLabel, c.Name, kkpv1.ProjectIDLabel, c.ProjectID(), cbsl.Namespace, cbsl.Name)
		}
		// Read as the CBSL would read it, so one parser and one project rule
		// apply and errors name this Secret.
		k.cbsl = cbsl.DeepCopy()
		ref := corev1.SecretKeySelector{}
		if cbsl.Spec.Credential != nil {
			ref = *cbsl.Spec.Credential.DeepCopy()
		}
		ref.Name = name
		k.cbsl.Spec.Credential = &ref
		k.secret = s
	} else if k.secret, err = r.credentialSecret(ctx, cbsl); err != nil {
		return key{}, err
	} else if ref := cbsl.Spec.Credential; ref != nil {
		k.source = cbsl.Namespace + "/" + ref.Name
	}
	st, ferrs := storage.Credentials(k.cbsl, k.secret)
	if len(ferrs) > 0 {
		what := "clusterbackupstoragelocation " + cbsl.Namespace + "/" + cbsl.Name
		if k.dedicated {
			what = "dedicated key " + k.source + " of cluster " + c.Name
		}
		return key{}, configError("%s: %v", what, ferrs.ToAggregate())
	}
	k.st = st
	return k, nil
}

// confined reports whether a dedicated key is confined to the cluster's
// prefix, as `clusterbackup policy` confines it: the isolation probe of
// internal/s3check lists the bucket root and a sibling of the prefix with
// it, and either answering means the key reaches other clusters' backups.
// nil: not known (the check failed; the CBSL status loop reports
// reachability).
func (r *Reconciler) confined(ctx context.Context, c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation, st creds.Static) *bool {
	if r.Repos == nil || r.Repos.Checker == nil {
		return nil
	}
	loc, errs, _, err := storage.Resolve(ctx, cbsl, r.Secrets)
	if err != nil || len(errs) > 0 {
		return nil
	}
	loc.Credentials = st
	if loc, err = loc.ForCluster(c.ProjectID(), c.Name); err != nil {
		return nil
	}
	t := s3check.TargetFrom(loc)
	t.ProbeIsolation = true
	res := r.Repos.Checker.Check(ctx, t)
	if !res.OK() {
		return nil
	}
	return res.Isolated
}

// clusterSecretOf says why s is not one of cluster c's Secrets on the seed
// (nil: it is): its cluster-id label must be c's ID, and a project-id label
// c's project. The CBSL namespace holds Secrets others write (the
// projects' CBSL credentials), so a name alone proves nothing.
func clusterSecretOf(s *corev1.Secret, c *kkpv1.Cluster) error {
	id, ok := s.Labels[ClusterIDLabel]
	switch {
	case !ok:
		return fmt.Errorf("it has no label %s", ClusterIDLabel)
	case id != c.Name:
		return fmt.Errorf("its label %s is %q", ClusterIDLabel, id)
	}
	if project, ok := s.Labels[kkpv1.ProjectIDLabel]; ok && project != c.ProjectID() {
		return fmt.Errorf("its label %s is %q, the cluster's project is %q", kkpv1.ProjectIDLabel, project, c.ProjectID())
	}
	return nil
}

// cachedSecret reads a Secret of the CBSL namespace from the cache only.
// nil: the cache holds none.
func (r *Reconciler) cachedSecret(ctx context.Context, key client.ObjectKey) (*corev1.Secret, error) {
	var s corev1.Secret
	err := r.Client.Get(quiet(ctx), key, &s)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read secret %s: %w", key, err)
	}
	return &s, nil
}

// secretAt reads a Secret of the CBSL namespace from the cache, then from
// the API when the cache has not seen it yet. nil: it does not exist.
func (r *Reconciler) secretAt(ctx context.Context, key client.ObjectKey) (*corev1.Secret, error) {
	for _, rd := range []client.Reader{r.Client, r.Reader} {
		var s corev1.Secret
		err := rd.Get(quiet(ctx), key, &s)
		if err == nil {
			return &s, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read secret %s: %w", key, err)
		}
	}
	return nil, nil
}

// clusterOfSecretName returns the cluster ID a dedicated key Secret's name
// stands for ("" when the name is no such Secret's).
func (r *Reconciler) clusterOfSecretName(name string) string {
	if id, ok := strings.CutPrefix(name, r.Options.ClusterSecretPrefix); ok {
		return id
	}
	return ""
}
