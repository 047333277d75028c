// Package clusterindex is the seed loops' one cache index of Clusters by
// the ClusterBackupStorageLocation they use. The credentials loop and the
// release loop both map a changed CBSL to its Clusters; they share one
// index on their manager's cache, computed once per Cluster event.
package clusterindex

import (
	"context"
	"fmt"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// Field is the index's name: a Cluster's value is the name of its CBSL
// (none when it has no backup storage location).
const Field = "clusterbackup.cbsl"

// registered holds the field indexers (one per manager cache) that have
// the index. A cache accepts an index name once; every loop set up on it
// calls Register, and the first call adds it. Entries live as long as the
// process: one per manager, and a process has one outside tests.
var registered = struct {
	sync.Mutex
	on map[client.FieldIndexer]bool
}{on: map[client.FieldIndexer]bool{}}

// Register adds the index to indexer (a manager's GetFieldIndexer) unless
// it is there already, so each loop can call it from its
// SetupWithManager.
func Register(ctx context.Context, indexer client.FieldIndexer) error {
	registered.Lock()
	defer registered.Unlock()
	if registered.on[indexer] {
		return nil
	}
	if err := indexer.IndexField(ctx, &kkpv1.Cluster{}, Field, value); err != nil {
		return fmt.Errorf("index clusters by backup storage location: %w", err)
	}
	registered.on[indexer] = true
	return nil
}

// value is the index function: the name of the Cluster's CBSL.
func value(o client.Object) []string {
	if n := o.(*kkpv1.Cluster).StorageLocationName(); n != "" {
		return []string{n}
	}
	return nil
}

// Requests lists, from c (the manager's cache, which must have the
// index), the Clusters using the CBSL named cbsl, as reconcile requests.
// A failed list is logged and yields none: it is called from watch
// mappings, which have no error to return, and the periodic resync
// reconciles every Cluster anyway.
func Requests(ctx context.Context, c client.Reader, cbsl string) []reconcile.Request {
	var list kkpv1.ClusterList
	if err := c.List(ctx, &list, client.MatchingFields{Field: cbsl}); err != nil {
		logf.FromContext(ctx).Error(err, "list clusters of a clusterbackupstoragelocation", "cbsl", cbsl)
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Name: list.Items[i].Name}})
	}
	return out
}
