package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// StatusControllerName names the status loop's controller.
const StatusControllerName = "cbsl-status"

// StatusReconciler keeps CBSL status current: on every spec change and every
// Period it validates and checks the CBSL (sharing the webhook's checker and
// cache) and writes status.phase (Available/Unavailable), status.message and
// status.lastValidationTime through the status subresource. A change of
// phase is also recorded as an Event. Status writes do not bump the
// generation, so they do not trigger the loop.
type StatusReconciler struct {
	// Client reads CBSLs and patches their status.
	Client client.Client
	// Secrets reads credential Secrets.
	Secrets SecretGetter
	// Checker runs the reachability checks.
	Checker *s3check.Checker
	// Period is the re-check interval. Default DefaultStatusPeriod.
	Period time.Duration
	// ProbeIsolation adds the credential isolation probe.
	ProbeIsolation bool
	// Recorder records phase changes; optional.
	Recorder events.EventRecorder
	// Metrics are optional.
	Metrics *Metrics
	// Name names the controller (controller-runtime requires names unique
	// per process: give each manager of one process its own, as tests do).
	// Default StatusControllerName.
	Name string
	// Workers is the number of CBSLs checked in parallel, so that a few
	// black-holed endpoints (each costing the budget) do not delay the
	// others. Default DefaultStatusWorkers.
	Workers int
}

// DefaultStatusWorkers is the default of StatusReconciler.Workers.
const DefaultStatusWorkers = 4

// SetupWithManager registers the reconciler with mgr.
func (r *StatusReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Period <= 0 {
		r.Period = DefaultStatusPeriod
	}
	if r.Workers <= 0 {
		r.Workers = DefaultStatusWorkers
	}
	if r.Name == "" {
		r.Name = StatusControllerName
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(r.Name).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Workers}).
		For(&kkpv1.ClusterBackupStorageLocation{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

// Reconcile checks one CBSL and writes its status.
func (r *StatusReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var c kkpv1.ClusterBackupStorageLocation
	if err := r.Client.Get(ctx, req.NamespacedName, &c); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if c.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	ev, err := Evaluate(ctx, &c, r.Secrets, r.Checker, r.ProbeIsolation)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("evaluate clusterbackupstoragelocation %s: %w", req.NamespacedName, err)
	}
	r.Metrics.check("status", ev.Check)
	phase, msg := Phase(ev)
	before := c.Status.Phase
	patch := client.MergeFrom(c.DeepCopy())
	now := metav1.Now()
	c.Status.Phase, c.Status.Message, c.Status.LastValidationTime = phase, msg, &now
	if err := r.Client.Status().Patch(ctx, &c, patch); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("patch status of clusterbackupstoragelocation %s: %w", req.NamespacedName, err)
	}
	log.Info("status updated", "phase", phase, "message", msg)
	if before != phase && r.Recorder != nil {
		kind := corev1.EventTypeNormal
		if phase != velerov1.BackupStorageLocationPhaseAvailable {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(&c, nil, kind, string(phase), "Validate", "%s", msg)
	}
	return ctrl.Result{RequeueAfter: jitter(r.Period)}, nil
}

// jitter spreads periodic checks over ±10% of the period, so CBSLs created
// together do not hit their endpoints together forever.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

// Phase turns an evaluation into a BSL phase and message.
func Phase(ev Evaluation) (velerov1.BackupStorageLocationPhase, string) {
	switch {
	case len(ev.Errors) > 0:
		return velerov1.BackupStorageLocationPhaseUnavailable, "invalid: " + ev.Errors.ToAggregate().Error()
	case ev.Check == nil:
		return velerov1.BackupStorageLocationPhaseUnavailable, "not checked"
	case !ev.Check.OK():
		return velerov1.BackupStorageLocationPhaseUnavailable, fmt.Sprintf("S3 check failed (%s): %s", ev.Check.Class, ev.Check.Message)
	}
	return velerov1.BackupStorageLocationPhaseAvailable, ev.Check.Message
}
