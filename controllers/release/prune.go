package release

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Pruning deletes what the loop applied earlier (the previous inventory)
// and no longer renders — never what holds or points at backups, whatever
// the render says (docs/lifecycle.md): CRDs (deleting one deletes every
// object of its kind), Namespaces, BackupStorageLocations, Secrets, and
// anything annotated helm.sh/resource-policy: keep, as rendered (the
// applied object carries the render's annotations) or as set in the user
// cluster. It deletes only objects that still carry the loop's field
// manager, with the UID it read as a precondition.

// KeepAnnotation with value KeepValue keeps an object from being pruned.
const (
	KeepAnnotation = "helm.sh/resource-policy"
	KeepValue      = "keep"
)

// KeptKinds are never pruned.
var KeptKinds = []schema.GroupKind{
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
	{Kind: "Namespace"},
	{Group: "velero.io", Kind: "BackupStorageLocation"},
	{Kind: "Secret"},
}

// stale returns the refs of old that cur no longer holds (the same object
// under another API version is still held).
func stale(old, cur []ObjectRef) []ObjectRef {
	var out []ObjectRef
	for _, o := range old {
		if !slices.ContainsFunc(cur, o.sameObject) && !slices.ContainsFunc(out, o.sameObject) {
			out = append(out, o)
		}
	}
	return out
}

// pruneResult says what prune did with each stale ref.
type pruneResult struct {
	// deleted were deleted; kept were left by the rules above.
	deleted, kept []ObjectRef
}

// prune deletes the stale refs the rules allow. Objects already gone, or of
// kinds no longer served, count as neither deleted nor kept.
func (a applier) prune(ctx context.Context, refs []ObjectRef) (pruneResult, error) {
	var res pruneResult
	for _, r := range refs {
		if slices.Contains(KeptKinds, r.GroupKind()) {
			res.kept = append(res.kept, r)
			continue
		}
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind})
		key := client.ObjectKey{Namespace: r.Namespace, Name: r.Name}
		if err := a.c.Get(ctx, key, m); err != nil {
			if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
				continue
			}
			return res, fmt.Errorf("read %s before pruning: %w", r, err)
		}
		if m.GetAnnotations()[KeepAnnotation] == KeepValue || !managedBy(m, a.fieldManager) {
			res.kept = append(res.kept, r)
			continue
		}
		err := a.c.Delete(ctx, m, client.Preconditions{UID: new(m.GetUID())}, client.PropagationPolicy(metav1.DeletePropagationBackground))
		if err != nil && !apierrors.IsNotFound(err) {
			return res, fmt.Errorf("prune %s: %w", r, err)
		}
		res.deleted = append(res.deleted, r)
	}
	return res, nil
}

// managedBy reports whether a field manager owns fields of m.
func managedBy(m metav1.Object, manager string) bool {
	return slices.ContainsFunc(m.GetManagedFields(), func(f metav1.ManagedFieldsEntry) bool { return f.Manager == manager })
}
