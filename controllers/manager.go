package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/cbslstatus"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/controllers/drill"
	"github.com/clusterbackup/clusterbackup/controllers/inventory"
	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// New builds the controllers' manager with the loops o enables, health
// checks and metrics. Start it with mgr.Start(ctx); cancelling ctx stops it
// (and releases the Lease). Call logf.SetLogger first.
func New(ctx context.Context, cfg *rest.Config, o Options) (manager.Manager, error) {
	if err := o.Complete(); err != nil {
		return nil, err
	}
	mo := o.Serving.Manager()
	mo.Cache, mo.Controller = cacheOptions(o.CBSLNamespace), o.Controller
	leaderElection(&mo, o)
	mgr, err := manager.New(cfg, mo)
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := Setup(ctx, mgr, o); err != nil {
		return nil, err
	}
	return mgr, nil
}

// Setup adds the loops o enables to mgr, whose cache must hold Secrets and
// CBSLs of o.CBSLNamespace (cacheOptions). o must be completed.
func Setup(ctx context.Context, mgr manager.Manager, o Options) error {
	checker := o.Checker
	if checker == nil {
		checker = s3check.New(o.Check)
	}
	secrets := storage.FirstFound(storage.ReaderSecrets(mgr.GetClient()), storage.ReaderSecrets(mgr.GetAPIReader()))
	if o.Status.Enabled {
		r := &cbslstatus.Reconciler{
			Client:         mgr.GetClient(),
			Secrets:        secrets,
			Checker:        checker,
			Options:        o.Status,
			ProbeIsolation: o.ProbeIsolation,
			Metrics:        s3check.NewMetrics(metrics.Registry),
			Recorder:       mgr.GetEventRecorder("clusterbackup-cbsl-status"),
		}
		if err := r.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("set up the cbsl status loop: %w", err)
		}
	}
	// One bounded client per user cluster, shared by every loop.
	users, err := userclient.New(mgr.GetAPIReader(), nil, o.Users)
	if err != nil {
		return err
	}
	if o.Credentials.Enabled {
		cr := credentials.New(mgr.GetClient(), mgr.GetAPIReader(), o.CBSLNamespace, o.Credentials, users, checker,
			mgr.GetEventRecorder("clusterbackup-credentials"), credentials.NewMetrics(metrics.Registry))
		if err := cr.SetupWithManager(ctx, mgr); err != nil {
			return fmt.Errorf("set up the credentials loop: %w", err)
		}
	}
	if o.Release.Enabled {
		settings, err := release.LoadSettings(o.Release.RenderConfig)
		if err != nil {
			return fmt.Errorf("release loop: %w", err)
		}
		rr, err := release.New(mgr.GetClient(), mgr.GetAPIReader(), users, o.Release, settings,
			mgr.GetEventRecorder("clusterbackup-release"), release.NewMetrics(metrics.Registry))
		if err != nil {
			return fmt.Errorf("release loop: %w", err)
		}
		if err := rr.SetupWithManager(ctx, mgr); err != nil {
			return fmt.Errorf("set up the release loop: %w", err)
		}
		if err := setupRollout(mgr, o, users, rr); err != nil {
			return err
		}
	}
	if o.Drill.Enabled {
		if err := drill.Setup(mgr, o.Drill, o.CBSLNamespace, secrets, checker, users); err != nil {
			return fmt.Errorf("set up the restore drills: %w", err)
		}
	}
	if o.Fleet.Enabled {
		if err := inventory.Setup(mgr, o.Fleet, o.CBSLNamespace, secrets, checker); err != nil {
			return fmt.Errorf("set up the fleet inventory: %w", err)
		}
	}
	return nil
}

// cacheOptions limits the informer cache: Secrets and CBSLs are watched in
// the CBSL namespace only (namespaced RBAC there suffices), Clusters
// cluster-wide; managed fields are dropped.
func cacheOptions(ns string) cache.Options {
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:                      {Namespaces: map[string]cache.Config{ns: {}}},
			&kkpv1.ClusterBackupStorageLocation{}: {Namespaces: map[string]cache.Config{ns: {}}},
		},
	}
}
