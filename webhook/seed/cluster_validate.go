package seed

import (
	"context"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
)

// ClusterValidator is the validating webhook for Clusters: the CBSL a
// cluster's backupConfig names must exist and belong to the cluster's
// project. Updates that change neither the reference nor the project pass
// without a lookup. Reviews of another kind or operation, or without a
// request, are answered with a 400 (package admit).
type ClusterValidator struct {
	// Reader reads CBSLs (uncached).
	Reader client.Reader
	// Namespace is where referenced CBSLs live.
	Namespace string
	// Metrics are optional.
	Metrics *Metrics

	handler built
}

// ServeHTTP implements http.Handler.
func (v *ClusterValidator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.handler.serve(w, r, func() http.Handler {
		return &admit.Validator[*kkpv1.Cluster]{Endpoint: endpoint(ValidateClusterPath, v.Metrics), Validate: v.validate}
	})
}

// validate checks the CBSL a created or changed Cluster names.
func (v *ClusterValidator) validate(ctx context.Context, req admission.Request, cl, old *kkpv1.Cluster) (field.ErrorList, admission.Warnings, error) {
	name := cl.StorageLocationName()
	if name == "" {
		return nil, nil, nil
	}
	if req.Operation == admissionv1.Update && old.StorageLocationName() == name && old.ProjectID() == cl.ProjectID() {
		return nil, nil, nil
	}
	var cbsl kkpv1.ClusterBackupStorageLocation
	found := &cbsl
	err := v.Reader.Get(ctx, types.NamespacedName{Namespace: v.Namespace, Name: name}, &cbsl)
	switch {
	case apierrors.IsNotFound(err):
		found = nil
	case err != nil:
		return nil, nil, fmt.Errorf("get clusterbackupstoragelocation %s/%s: %w", v.Namespace, name, err)
	}
	return storage.ValidateCluster(cl, found, v.Namespace), nil, nil
}
