package release

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// guardKKPBSL refuses, before anything is applied, a release whose
// BackupStorageLocation under KKP's name (kkpv1.KKPBSLName) would be
// applied over one the loop did not apply itself: that is KKP's own
// cluster backup (its controller, or what it left behind), whose BSL may
// point at another prefix. Applying over it would move that name to our
// prefix, and Velero's backup sync would then delete the Backup objects
// listed under it. Such a cluster is left alone and reported until it is
// taken over as docs/migration.md describes. It costs one GET, only when a
// release is applied.
func (a applier) guardKKPBSL(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if o.GetKind() != "BackupStorageLocation" || o.GetName() != kkpv1.KKPBSLName {
			continue
		}
		cur := &unstructured.Unstructured{}
		cur.SetGroupVersionKind(o.GroupVersionKind())
		err := a.c.Get(ctx, client.ObjectKeyFromObject(o), cur)
		switch {
		case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
			continue
		case err != nil:
			return fmt.Errorf("read %s: %w", describe(o), err)
		case appliedBy(cur.GetManagedFields(), a.fieldManager):
			continue
		}
		return fmt.Errorf("%s exists and was not applied by clusterbackup (KKP's own cluster backup?); nothing applied, the cluster is left alone: "+
			"disable KKP's cluster backup for it and take it over as docs/migration.md says", describe(o))
	}
	return nil
}

// appliedBy reports whether manager has applied (server-side apply) fields
// of an object.
func appliedBy(fields []metav1.ManagedFieldsEntry, manager string) bool {
	for _, f := range fields {
		if f.Manager == manager && f.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}
