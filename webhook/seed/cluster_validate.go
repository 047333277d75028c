package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// ClusterValidator is the validating webhook for Clusters: the CBSL a
// cluster's backupConfig names must exist and belong to the cluster's
// project. Updates that change neither the reference nor the project pass
// without a lookup. Reviews of another kind or operation, or without a
// request, are answered with a 400 (accepts).
type ClusterValidator struct {
	// Reader reads CBSLs (uncached).
	Reader client.Reader
	// Namespace is where referenced CBSLs live.
	Namespace string
	// Metrics are optional.
	Metrics *Metrics
}

// Handle implements admission.Handler.
func (v *ClusterValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	r := v.handle(ctx, req)
	v.Metrics.review("cluster", metricsreg.OperationLabel(string(req.Operation)), outcome(r))
	return r
}

func (v *ClusterValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if r, bad := validateClusterAccepts.refuse(req); bad {
		return r
	}
	var cl kkpv1.Cluster
	if err := json.Unmarshal(req.Object.Raw, &cl); err != nil {
		return badRequest(fmt.Errorf("decode cluster: %w", err))
	}
	name := cl.StorageLocationName()
	if name == "" {
		return admission.Allowed("")
	}
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		var old kkpv1.Cluster
		if err := json.Unmarshal(req.OldObject.Raw, &old); err != nil {
			return badRequest(fmt.Errorf("decode old cluster: %w", err))
		}
		if old.StorageLocationName() == name && old.ProjectID() == cl.ProjectID() {
			return admission.Allowed("")
		}
	}
	var cbsl kkpv1.ClusterBackupStorageLocation
	found := &cbsl
	err := v.Reader.Get(ctx, types.NamespacedName{Namespace: v.Namespace, Name: name}, &cbsl)
	switch {
	case apierrors.IsNotFound(err):
		found = nil
	case err != nil:
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("get clusterbackupstoragelocation %s/%s: %w", v.Namespace, name, err))
	}
	if errs := storage.ValidateCluster(&cl, found, v.Namespace); len(errs) > 0 {
		return invalid(clusterGroupKind, cl.Name, errs, nil)
	}
	return admission.Allowed("")
}
