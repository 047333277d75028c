// Package seed holds the seed-side admission rules: mutation and validation
// of ClusterBackupStorageLocations (including the S3 reachability check),
// reference protection between CBSLs and Clusters, and the optional status
// loop that keeps CBSL status current.
package seed

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/webhook/seed/credentials"
)

// Webhook paths served in seed mode.
const (
	MutateCBSLPath      = "/mutate-kubermatic-k8c-io-v1-clusterbackupstoragelocation"
	ValidateCBSLPath    = "/validate-kubermatic-k8c-io-v1-clusterbackupstoragelocation"
	ValidateClusterPath = "/validate-kubermatic-k8c-io-v1-cluster"
)

// Setup registers the seed webhooks (and, if enabled, the status loop) with
// mgr, and their metrics with controller-runtime's registry. The handlers read Secrets, Clusters and CBSLs through the manager's
// uncached API reader (RBAC: get secrets; get/list clusters and
// clusterbackupstoragelocations); the status loop also watches CBSLs and
// patches their status; the credentials loop (o.Credentials.Enabled) also
// watches Clusters and Secrets of the CBSL namespace, creates the seed's
// repository password Secrets there, and gets the admin kubeconfig Secrets
// of user clusters. It adds the kubermatic.k8c.io types to the
// manager's scheme when missing.
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
	secrets := ReaderSecrets(reader)
	if o.CachedSecrets {
		secrets = firstFound(ReaderSecrets(mgr.GetClient()), secrets)
	}
	m := NewMetrics(metrics.Registry)
	srv := mgr.GetWebhookServer()
	srv.Register(MutateCBSLPath, &webhook.Admission{Handler: &CBSLMutator{}})
	srv.Register(ValidateCBSLPath, &webhook.Admission{Handler: &CBSLValidator{Reader: reader, Secrets: secrets, Checker: checker, Options: o, Metrics: m}})
	srv.Register(ValidateClusterPath, &webhook.Admission{Handler: &ClusterValidator{Reader: reader, Namespace: o.CBSLNamespace, Metrics: m}})
	if o.Credentials.Enabled {
		cr := credentials.New(mgr.GetClient(), reader, o.CBSLNamespace, o.Credentials,
			mgr.GetEventRecorder("clusterbackup-credentials"), credentials.NewMetrics(metrics.Registry))
		if err := cr.SetupWithManager(context.Background(), mgr); err != nil {
			return fmt.Errorf("set up the credentials loop: %w", err)
		}
	}
	if o.Fleet.Enabled {
		if err := setupFleet(mgr, o, secrets, checker); err != nil {
			return err
		}
	}
	if !o.StatusLoop {
		return nil
	}
	r := &StatusReconciler{
		Client:         mgr.GetClient(),
		Secrets:        secrets,
		Checker:        checker,
		Period:         o.StatusPeriod,
		ProbeIsolation: o.ProbeIsolation,
		Workers:        o.StatusWorkers,
		Name:           o.StatusControllerName,
		Metrics:        m,
		Recorder:       mgr.GetEventRecorder("clusterbackup-cbsl-status"),
	}
	return r.SetupWithManager(mgr)
}

// cbslGroupKind is the GroupKind of CBSLs, for Invalid errors.
var cbslGroupKind = schema.GroupKind{Group: kkpv1.GroupVersion.Group, Kind: kkpv1.KindClusterBackupStorageLocation}

// clusterGroupKind is the GroupKind of Clusters, for Invalid errors.
var clusterGroupKind = schema.GroupKind{Group: kkpv1.GroupVersion.Group, Kind: kkpv1.KindCluster}
