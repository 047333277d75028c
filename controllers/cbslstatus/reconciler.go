package cbslstatus

import (
	"context"
	"fmt"

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
	"github.com/clusterbackup/clusterbackup/controllers/internal/resync"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Reconciler keeps CBSL status current: on every spec change and every
// Period it validates and checks the CBSL (sharing the webhook's checker and
// cache) and writes status.phase (Available/Unavailable), status.message and
// status.lastValidationTime through the status subresource. A change of
// phase is also recorded as an Event. Status writes do not bump the
// generation, so they do not trigger the loop.
type Reconciler struct {
	// Client reads CBSLs and patches their status.
	Client client.Client
	// Secrets reads credential Secrets.
	Secrets storage.SecretGetter
	// Checker runs the reachability checks.
	Checker *s3check.Checker
	// Options configure the loop; SetupWithManager defaults and validates
	// them.
	Options Options
	// ProbeIsolation adds the credential isolation probe.
	ProbeIsolation bool
	// Recorder records phase changes; optional.
	Recorder events.EventRecorder
	// Metrics count the checks; optional.
	Metrics *s3check.Metrics
}

// SetupWithManager registers the reconciler with mgr.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Options.Default()
	if errs := r.Options.Validate(nil); len(errs) > 0 {
		return fmt.Errorf("cbsl status loop: %w", errs.ToAggregate())
	}
	o := r.Options
	return ctrl.NewControllerManagedBy(mgr).
		Named(o.ControllerName).
		WithOptions(controller.Options{MaxConcurrentReconciles: o.Workers}).
		For(&kkpv1.ClusterBackupStorageLocation{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

// Reconcile checks one CBSL and writes its status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var c kkpv1.ClusterBackupStorageLocation
	if err := r.Client.Get(ctx, req.NamespacedName, &c); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if c.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	ev, err := s3check.Evaluate(ctx, &c, r.Secrets, r.Checker, r.ProbeIsolation)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("evaluate clusterbackupstoragelocation %s: %w", req.NamespacedName, err)
	}
	r.Metrics.Observe("status", ev.Check)
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
	return ctrl.Result{RequeueAfter: resync.Jitter(r.Options.Period.Duration)}, nil
}

// Phase turns an evaluation into a BSL phase and message.
func Phase(ev s3check.Evaluation) (velerov1.BackupStorageLocationPhase, string) {
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
