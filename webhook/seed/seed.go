// Package seed holds the seed-side admission rules: mutation and validation
// of ClusterBackupStorageLocations (including the S3 reachability check) and
// reference protection between CBSLs and Clusters. The seed's loops live in
// controllers/ and run in a Deployment of their own.
package seed

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Webhook paths served in seed mode.
const (
	MutateCBSLPath      = "/mutate-kubermatic-k8c-io-v1-clusterbackupstoragelocation"
	ValidateCBSLPath    = "/validate-kubermatic-k8c-io-v1-clusterbackupstoragelocation"
	ValidateClusterPath = "/validate-kubermatic-k8c-io-v1-cluster"
)

// Setup registers the seed webhooks with mgr, and their metrics with
// controller-runtime's registry. The handlers read Secrets, Clusters and
// CBSLs through the manager's uncached API reader (RBAC: get secrets in the
// CBSL namespace; get/list clusters and clusterbackupstoragelocations), or
// Secrets through the cache with o.CachedSecrets. It adds the
// kubermatic.k8c.io types to the manager's scheme when missing. The seed's
// loops are not here: they run in the controllers process (package
// controllers), so no user cluster's answer can take the webhooks down.
func Setup(mgr manager.Manager, o Options) error {
	o, err := o.complete()
	if err != nil {
		return err
	}
	s := mgr.GetScheme()
	if !s.Recognizes(kkpv1.GroupVersion.WithKind(kkpv1.KindClusterBackupStorageLocation)) {
		if err := kkpv1.AddToScheme(s); err != nil {
			return fmt.Errorf("add %s to the scheme: %w", kkpv1.GroupVersion, err)
		}
	}
	checker := o.Checker
	if checker == nil {
		checker = s3check.New(o.Check)
	}
	reader := mgr.GetAPIReader()
	secrets := storage.ReaderSecrets(reader)
	if o.CachedSecrets {
		secrets = storage.FirstFound(storage.ReaderSecrets(mgr.GetClient()), secrets)
	}
	m := NewMetrics(metrics.Registry)
	srv := mgr.GetWebhookServer()
	srv.Register(MutateCBSLPath, &CBSLMutator{Metrics: m})
	srv.Register(ValidateCBSLPath, &CBSLValidator{Reader: reader, Secrets: secrets, Checker: checker, Options: o, Metrics: m})
	srv.Register(ValidateClusterPath, &ClusterValidator{Reader: reader, Namespace: o.CBSLNamespace, Metrics: m})
	return nil
}
