package seed

import (
	"context"

	"github.com/go-logr/logr"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// SecretGetter returns a Secret, or (nil, nil) when it does not exist.
type SecretGetter = storage.SecretGetter

// ReaderSecrets returns a SecretGetter backed by a Kubernetes reader (the
// webhook uses the uncached API reader, so it needs only get on Secrets).
// The read runs without the caller's logger: client-go dumps response
// bodies at high verbosity, and a Secret's body must never reach a log.
func ReaderSecrets(r client.Reader) SecretGetter {
	return func(ctx context.Context, ns, name string) (*corev1.Secret, error) {
		ctx = logr.NewContext(ctx, logr.Discard())
		var s corev1.Secret
		err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s)
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &s, nil
	}
}

// firstFound asks primary, then fallback when primary does not have the
// Secret: an informer cache may lag behind a Secret applied together with
// its CBSL.
func firstFound(primary, fallback SecretGetter) SecretGetter {
	return func(ctx context.Context, ns, name string) (*corev1.Secret, error) {
		s, err := primary(ctx, ns, name)
		if s != nil || err != nil {
			return s, err
		}
		return fallback(ctx, ns, name)
	}
}

// Evaluation is the outcome of validating and checking one CBSL.
type Evaluation struct {
	// Errors are broken rules; when there are any, no check ran.
	Errors field.ErrorList
	// Warnings are accepted risks, from validation and from the check.
	Warnings []string
	// Check is the reachability result; nil when validation failed.
	Check *s3check.Result
}

// Evaluate runs the full seed-side judgement of a CBSL: pure validation, the
// credential (and CA) Secrets, then the reachability check with the CBSL's
// own credentials. The error is for failures to read Secrets, not for
// problems of the CBSL.
func Evaluate(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation, secrets SecretGetter, checker *s3check.Checker, probeIsolation bool) (Evaluation, error) {
	var ev Evaluation
	loc, errs, warnings, err := storage.Resolve(ctx, c, secrets)
	ev.Errors, ev.Warnings = errs, warnings
	if err != nil || len(errs) > 0 {
		return ev, err
	}
	t := s3check.TargetFrom(loc)
	t.ProbeIsolation = probeIsolation
	r := checker.Check(ctx, t)
	ev.Check = &r
	ev.Warnings = append(ev.Warnings, r.Warnings...)
	return ev, nil
}
