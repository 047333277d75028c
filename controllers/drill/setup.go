package drill

import (
	"context"
	"fmt"
	"os"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// NewRunner defaults and validates o (Options.Default, Options.Validate),
// reads its signing key and returns a Runner. Errors name the file, never
// its content.
func NewRunner(o Options, checker *s3check.Checker) (*Runner, error) {
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		return nil, fmt.Errorf("drills: %w", errs.ToAggregate())
	}
	if o.SigningKeyFile == "" {
		return nil, fmt.Errorf("drills: no signing key file given")
	}
	b, err := os.ReadFile(o.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("drills: signing key: %w", err)
	}
	key, err := core.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.SigningKeyFile, err)
	}
	return &Runner{Checker: checker, Key: key, Options: o}, nil
}

// Setup adds the leader-only Scheduler to mgr, its metrics to
// controller-runtime's registry. RBAC on the seed: list clusters, list
// clusterbackupstoragelocations and get secrets in cbslNamespace, create
// events; in user clusters (admin kubeconfig): namespaces, networkpolicies,
// resourcequotas, configmaps and velero.io restores, backups,
// backupstoragelocations, podvolumerestores.
func Setup(mgr manager.Manager, o Options, cbslNamespace string, secrets storage.SecretGetter, checker *s3check.Checker, users Clients) error {
	r, err := NewRunner(o, checker)
	if err != nil {
		return err
	}
	return mgr.Add(&Scheduler{
		Reader: mgr.GetAPIReader(), CBSLNamespace: cbslNamespace, Secrets: secrets, Users: users, Runner: r,
		Recorder: mgr.GetEventRecorder("clusterbackup-drill"), Metrics: NewMetrics(metrics.Registry),
		Log: mgr.GetLogger().WithName("drill"),
	})
}

// Resolve reads the Cluster clusterID, the CBSL it names (in
// cbslNamespace) and its Secrets through reader, and returns the Cluster
// and its resolved location (fleet.ClusterFor; a broken one is in
// fleet.Cluster.Err).
func Resolve(ctx context.Context, reader client.Reader, cbslNamespace, clusterID string) (*kkpv1.Cluster, fleet.Cluster, error) {
	var c kkpv1.Cluster
	if err := reader.Get(ctx, client.ObjectKey{Name: clusterID}, &c); err != nil {
		return nil, fleet.Cluster{}, fmt.Errorf("read cluster %s: %w", clusterID, err)
	}
	name := c.StorageLocationName()
	if name == "" {
		return nil, fleet.Cluster{}, fmt.Errorf("cluster %s: spec.backupConfig.backupStorageLocation: backup is not enabled", clusterID)
	}
	var cbsl *kkpv1.ClusterBackupStorageLocation
	var got kkpv1.ClusterBackupStorageLocation
	if err := reader.Get(ctx, client.ObjectKey{Namespace: cbslNamespace, Name: name}, &got); err == nil {
		cbsl = &got
	} else if client.IgnoreNotFound(err) != nil {
		return nil, fleet.Cluster{}, fmt.Errorf("read clusterbackupstoragelocation %s/%s: %w", cbslNamespace, name, err)
	}
	return &c, fleet.ClusterFor(ctx, &c, cbsl, storage.ReaderSecrets(reader), nil), nil
}
