package credentials

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/internal/clusterindex"
)

// SetupWithManager registers the loop with mgr. It watches Clusters
// (spec and label changes), CBSLs of Namespace (spec changes) and Secrets
// of Namespace (a rotated credential), each mapped to the Clusters they
// concern, and reconciles every Cluster again after ResyncPeriod (±10%).
// A rotated CBSL Secret therefore reaches the user clusters within one
// reconcile of the watch event, and within ResyncPeriod+10% even if the
// event were lost. The manager's cache must hold Secrets of Namespace.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := clusterindex.Register(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	inNamespace := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetNamespace() == r.Namespace })
	return ctrl.NewControllerManagedBy(mgr).
		Named(r.Options.ControllerName).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.Workers}).
		For(&kkpv1.Cluster{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&kkpv1.ClusterBackupStorageLocation{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfCBSL),
			builder.WithPredicates(inNamespace, predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfSecret),
			builder.WithPredicates(inNamespace, predicate.ResourceVersionChangedPredicate{})).
		Complete(r)
}

// clustersOfCBSL maps a CBSL to the Clusters using it.
func (r *Reconciler) clustersOfCBSL(ctx context.Context, o client.Object) []reconcile.Request {
	return clusterindex.Requests(ctx, r.Client, o.GetName())
}

// clustersOfSecret maps a Secret of the CBSL namespace to the Clusters
// whose CBSL names it as credential, and a seed password copy or a
// cluster's dedicated key (by name: created, changed or deleted) to its
// cluster.
func (r *Reconciler) clustersOfSecret(ctx context.Context, o client.Object) []reconcile.Request {
	if id := o.GetLabels()[ClusterIDLabel]; id != "" && o.GetLabels()[ComponentLabel] == ComponentRepoPassword {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: id}}}
	}
	if id := r.clusterOfSecretName(o.GetName()); id != "" {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: id}}}
	}
	var list kkpv1.ClusterBackupStorageLocationList
	if err := r.Client.List(ctx, &list, client.InNamespace(r.Namespace)); err != nil {
		logf.FromContext(ctx).Error(err, "list clusterbackupstoragelocations for a changed secret", "secret", o.GetName())
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if ref := list.Items[i].Spec.Credential; ref != nil && ref.Name == o.GetName() {
			out = append(out, clusterindex.Requests(ctx, r.Client, list.Items[i].Name)...)
		}
	}
	return out
}
