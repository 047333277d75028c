package release

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The user cluster holds the inventory of the release last applied to it,
// in the spirit of an ApplySet parent (KEP-3659): ConfigMap InventoryName in
// the Velero namespace, annotated with the release's digest, Velero version,
// time and field manager, and listing every applied object. It lives in the
// user cluster, so any seed process (a restart, a new leader) prunes from
// the same list, and a resync that finds the digest current costs one GET.
// It is written last, after every object was applied, so it never claims a
// release that did not fully land. The applied objects themselves carry no
// extra label: what lands equals the render, object by object.

// Inventory parent names, annotations and keys.
const (
	// InventoryName names the inventory ConfigMap in the Velero namespace.
	InventoryName = "clusterbackup-release"
	// InventoryKey is its data key: one ObjectRef per line, sorted.
	InventoryKey = "inventory"
	// ComponentInventory is its ComponentLabel value.
	ComponentInventory = "release-inventory"
	// DigestAnnotation holds the Digest of the release last applied.
	DigestAnnotation = "clusterbackup.io/release-digest"
	// VeleroVersionAnnotation holds the Velero version it renders.
	VeleroVersionAnnotation = "clusterbackup.io/velero-version"
	// AppliedAtAnnotation holds when it was applied (RFC 3339, UTC).
	AppliedAtAnnotation = "clusterbackup.io/applied-at"
	// FieldManagerAnnotation names the field manager it was applied with.
	FieldManagerAnnotation = "clusterbackup.io/field-manager"
)

// maxInventory bounds how many refs are read from a user cluster's
// inventory (the tenant controls that object; a release has ~25).
const maxInventory = 1000

// ObjectRef names one applied object: "group/version/kind/namespace/name",
// the core group and a cluster-scoped object's namespace written empty
// ("/v1/Namespace//velero").
type ObjectRef struct {
	Group, Version, Kind, Namespace, Name string
}

// String returns the ref as stored in the inventory.
func (r ObjectRef) String() string {
	return strings.Join([]string{r.Group, r.Version, r.Kind, r.Namespace, r.Name}, "/")
}

// GroupKind returns the ref's group and kind.
func (r ObjectRef) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: r.Group, Kind: r.Kind}
}

// sameObject reports whether two refs name the same object, whatever API
// version they were applied with.
func (r ObjectRef) sameObject(o ObjectRef) bool {
	return r.Group == o.Group && r.Kind == o.Kind && r.Namespace == o.Namespace && r.Name == o.Name
}

// ParseObjectRef parses an ObjectRef's String form.
func ParseObjectRef(s string) (ObjectRef, error) {
	p := strings.Split(s, "/")
	if len(p) != 5 || p[1] == "" || p[2] == "" || p[4] == "" {
		return ObjectRef{}, fmt.Errorf("object ref %q is not group/version/kind/namespace/name", s)
	}
	return ObjectRef{Group: p[0], Version: p[1], Kind: p[2], Namespace: p[3], Name: p[4]}, nil
}

// refOf returns an object's ref.
func refOf(u *unstructured.Unstructured) ObjectRef {
	gvk := u.GroupVersionKind()
	return ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

// inventory is the parent's content.
type inventory struct {
	// found says the parent exists.
	found                                      bool
	digest, veleroVersion, appliedAt, fieldMgr string
	refs                                       []ObjectRef
}

// readInventory GETs the parent in ns: the one request of a resync that
// finds the release current. A missing parent (or namespace) is an empty
// inventory. Malformed lines are ignored, and at most maxInventory refs are
// read.
func readInventory(ctx context.Context, c client.Client, ns string) (inventory, error) {
	var cm corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: InventoryName}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return inventory{}, nil
		}
		return inventory{}, fmt.Errorf("read inventory configmap %s/%s: %w", ns, InventoryName, err)
	}
	a := cm.Annotations
	inv := inventory{found: true, digest: a[DigestAnnotation], veleroVersion: a[VeleroVersionAnnotation], appliedAt: a[AppliedAtAnnotation], fieldMgr: a[FieldManagerAnnotation]}
	for _, line := range strings.Split(cm.Data[InventoryKey], "\n") {
		if len(inv.refs) == maxInventory {
			break
		}
		if r, err := ParseObjectRef(strings.TrimSpace(line)); err == nil {
			inv.refs = append(inv.refs, r)
		}
	}
	return inv, nil
}

// inventoryObject returns the parent to apply for a release.
func inventoryObject(ns, digest, veleroVersion, fieldManager string, refs []ObjectRef, now time.Time) *unstructured.Unstructured {
	lines := make([]string, len(refs))
	for i, r := range refs {
		lines[i] = r.String()
	}
	sort.Strings(lines)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      InventoryName,
			"namespace": ns,
			"labels":    map[string]any{ManagedByLabel: ManagedByValue, ComponentLabel: ComponentInventory},
			"annotations": map[string]any{
				DigestAnnotation:        digest,
				VeleroVersionAnnotation: veleroVersion,
				AppliedAtAnnotation:     now.UTC().Format(time.RFC3339),
				FieldManagerAnnotation:  fieldManager,
			},
		},
		"data": map[string]any{InventoryKey: strings.Join(lines, "\n") + "\n"},
	}}
	return u
}
