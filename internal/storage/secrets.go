package storage

import (
	"context"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReaderSecrets returns a SecretGetter backed by a Kubernetes reader (the
// seed webhook uses the uncached API reader, so it needs only get on
// Secrets). The read runs without the caller's logger: client-go dumps
// response bodies at high verbosity, and a Secret's body must never reach a
// log.
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

// FirstFound asks primary, then fallback when primary does not have the
// Secret: an informer cache may lag behind a Secret applied together with
// its CBSL.
func FirstFound(primary, fallback SecretGetter) SecretGetter {
	return func(ctx context.Context, ns, name string) (*corev1.Secret, error) {
		s, err := primary(ctx, ns, name)
		if s != nil || err != nil {
			return s, err
		}
		return fallback(ctx, ns, name)
	}
}
