package release

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// guardKKPBSL refuses, before anything is applied, a release whose
// BackupStorageLocation under KKP's name (kkpv1.KKPBSLName) would be
// applied over one the loop did not apply itself: that is KKP's own
// cluster backup (its controller, or what it left behind), whose BSL may
// point at another prefix. Applying over it would move that name to our
// prefix, and Velero's backup sync would then delete the Backup objects
// listed under it. Such a cluster is left alone and reported until it is
// taken over (takeover.go); a takeover applies over KKP's BSL only where
// the render keeps it on the same bucket, endpoint and prefix. It costs one
// GET, only when a release is applied.
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
		case a.takeover && sameBSLLocation(cur, o):
			continue
		case a.takeover:
			return fmt.Errorf("%s of KKP's cluster backup is on %s, the takeover would move it to %s; nothing applied, the cluster is left alone (docs/migration.md)",
				describe(o), bslLocation(cur), bslLocation(o))
		}
		return fmt.Errorf("%s; nothing applied", kkpOwned(describe(o)))
	}
	return nil
}

// gvkBackupStorageLocation is the kind of Velero's BSLs.
var gvkBackupStorageLocation = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "BackupStorageLocation"}

// kkpOwned explains why a cluster with KKP's BSL (described) is left alone.
func kkpOwned(bsl string) string {
	return fmt.Sprintf("%s exists and was not applied by clusterbackup (KKP's own cluster backup?), the cluster is left alone: "+
		"disable KKP's cluster backup for it and take it over (--release-kkp-takeover, or the Cluster annotation %s=true) as docs/migration.md says", bsl, kkpv1.KKPTakeoverAnnotation)
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

// bslLocation is a BSL's bucket, canonical endpoint and normalized prefix.
func bslLocation(u *unstructured.Unstructured) string {
	b, _, _ := unstructured.NestedString(u.Object, "spec", "objectStorage", "bucket")
	p, _, _ := unstructured.NestedString(u.Object, "spec", "objectStorage", "prefix")
	e, _, _ := unstructured.NestedString(u.Object, "spec", "config", storage.ConfigS3URL)
	return fmt.Sprintf("bucket %q endpoint %q prefix %q", b, storage.CanonicalEndpoint(e), prefix.Normalize(p))
}

// sameBSLLocation reports whether two BSLs point at the same location.
func sameBSLLocation(a, b *unstructured.Unstructured) bool { return bslLocation(a) == bslLocation(b) }
