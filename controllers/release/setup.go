package release

import (
	"context"
	"time"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/internal/clusterindex"
	"github.com/clusterbackup/clusterbackup/controllers/internal/resync"
)

// retryBase is the first retry delay after a failed reconcile; retries back
// off exponentially up to the resync period.
const retryBase = time.Second

// SetupWithManager registers the loop with mgr: it watches Clusters
// (generation and label changes) and the CBSLs of StateNamespace (spec
// changes, mapped to the Clusters using them), reconciles every Cluster
// again after ResyncPeriod (±10%), and retries failures with exponential
// backoff from 1s up to ResyncPeriod. Like every controller it runs only on
// the leader when the manager elects one.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := clusterindex.Register(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	inNamespace := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetNamespace() == r.Options.StateNamespace })
	return ctrl.NewControllerManagedBy(mgr).
		Named(r.Options.ControllerName).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.Options.Workers,
			RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](retryBase, r.Options.ResyncPeriod.Duration),
		}).
		For(&kkpv1.Cluster{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&kkpv1.ClusterBackupStorageLocation{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfCBSL),
			builder.WithPredicates(inNamespace, predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.trigger, waveHandler())).
		Complete(r)
}

// Queue priorities (controller-runtime's priority queue, on by default):
// a cluster a rollout wave enqueues (Enqueue) goes ahead of everything
// else, watch events come next (priority 0), and the periodic resyncs and a
// new leader's first pass over every Cluster (controller-runtime's initial
// list) come last. So a wave costs its own applies and gates, however many
// resyncs are waiting.
const (
	// WavePriority is the queue priority of a cluster a rollout enqueues.
	WavePriority = 10
	// ResyncPriority is the queue priority of a periodic resync.
	ResyncPriority = handler.LowPriority
)

// waveHandler enqueues the clusters of Enqueue with WavePriority.
func waveHandler() handler.EventHandler {
	return handler.Funcs{GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		req := reconcile.Request{NamespacedName: client.ObjectKey{Name: e.Object.GetName()}}
		if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
			pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(WavePriority)}, req)
			return
		}
		q.Add(req)
	}}
}

// resyncAfter is the result of a reconcile that is done until its next
// periodic resync (±10% of ResyncPeriod, at ResyncPriority).
func (r *Reconciler) resyncAfter() ctrl.Result {
	return ctrl.Result{RequeueAfter: resync.Jitter(r.Options.ResyncPeriod.Duration), Priority: ptr.To(ResyncPriority)}
}

// clustersOfCBSL maps a CBSL to the Clusters using it.
func (r *Reconciler) clustersOfCBSL(ctx context.Context, o client.Object) []reconcile.Request {
	return clusterindex.Requests(ctx, r.Client, o.GetName())
}
