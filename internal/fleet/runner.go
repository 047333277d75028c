package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// DefaultPeriod is the default of Runner.Period.
const DefaultPeriod = 5 * time.Minute

// Source returns the clusters to inventory.
type Source func(ctx context.Context) ([]Cluster, error)

// Runner runs Inventory every Period and hands each report to Collector. It
// is a controller-runtime manager.Runnable (every replica runs it: it only
// reads, and the alert rules aggregate with max by project and cluster).
type Runner struct {
	// Source lists the clusters; required.
	Source Source
	// Collector receives every report; required.
	Collector *Collector
	// Period is the time between two inventories. Default DefaultPeriod (5m).
	Period time.Duration
	// Options configure each inventory.
	Options Options
	// Log receives one line per inventory (counts only, never a secret).
	// Default: discard.
	Log logr.Logger
}

// Start runs an inventory at once and then every Period until ctx ends.
func (r *Runner) Start(ctx context.Context) error {
	if r.Source == nil || r.Collector == nil {
		return fmt.Errorf("fleet runner: Source and Collector are required")
	}
	period := r.Period
	if period <= 0 {
		period = DefaultPeriod
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		r.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// NeedLeaderElection is false: every replica exports the metrics.
func (r *Runner) NeedLeaderElection() bool { return false }

// RunOnce lists the clusters and runs one inventory. A failed listing keeps
// the previous report (its inventory timestamp then goes stale, which the
// FleetInventoryStale alert catches).
func (r *Runner) RunOnce(ctx context.Context) {
	start := time.Now()
	clusters, err := r.Source(ctx)
	if err != nil {
		r.Log.Error(err, "fleet inventory: listing the clusters failed")
		return
	}
	rep := Inventory(ctx, clusters, r.Options)
	took := time.Since(start)
	r.Collector.Set(rep, took.Seconds())
	r.Log.Info("fleet inventory", "summary", rep.String(), "duration", took.String())
}

// SeedSource lists the seed's Clusters through reader and resolves each
// one's CBSL (in cbslNamespace) and Secrets (through secrets) with
// ClusterFor; every cluster runs schedules. Clusters without a backup
// location are left out. Each Cluster's Release comes from the release
// loop's state ConfigMaps in cbslNamespace (ReleaseStates; one list per
// inventory, labelled kkpv1.ClusterIDLabel); without the right to list
// them, releases are unknown.
func SeedSource(reader client.Reader, cbslNamespace string, secrets storage.SecretGetter, schedules []Schedule) Source {
	return func(ctx context.Context) ([]Cluster, error) {
		var cl kkpv1.ClusterList
		if err := reader.List(ctx, &cl); err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		var cbsls kkpv1.ClusterBackupStorageLocationList
		if err := reader.List(ctx, &cbsls, client.InNamespace(cbslNamespace)); err != nil {
			return nil, fmt.Errorf("list clusterbackupstoragelocations in %s: %w", cbslNamespace, err)
		}
		var cms corev1.ConfigMapList
		if err := reader.List(ctx, &cms, client.InNamespace(cbslNamespace), client.HasLabels{kkpv1.ClusterIDLabel}); err != nil && !apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("list release state configmaps in %s: %w", cbslNamespace, err)
		}
		releases := ReleaseStates(cms.Items)
		byName := map[string]*kkpv1.ClusterBackupStorageLocation{}
		for i := range cbsls.Items {
			byName[cbsls.Items[i].Name] = &cbsls.Items[i]
		}
		// One Secret read per CBSL and inventory, not per cluster.
		cache := map[string]*corev1.Secret{}
		get := func(ctx context.Context, ns, name string) (*corev1.Secret, error) {
			k := ns + "/" + name
			if s, ok := cache[k]; ok {
				return s, nil
			}
			s, err := secrets(ctx, ns, name)
			if err == nil {
				cache[k] = s
			}
			return s, err
		}
		var out []Cluster
		for i := range cl.Items {
			c := &cl.Items[i]
			if c.StorageLocationName() == "" || c.DeletionTimestamp != nil {
				continue
			}
			fc := ClusterFor(ctx, c, byName[c.StorageLocationName()], get, schedules)
			fc.Release = releases[c.Name]
			out = append(out, fc)
		}
		return out, nil
	}
}
