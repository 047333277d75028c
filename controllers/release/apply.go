package release

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The release is applied with server-side apply under one field manager,
// forcing ownership (the loop owns what it renders), in render order: the
// CRDs first, then — once every CRD is Established, so the API server
// serves the kinds the rest needs — everything else. What is applied is
// the render object by object: nothing added, nothing dropped.

// crdGVK is the kind of CustomResourceDefinitions.
var crdGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// pollInterval is how often the applier checks a CRD or a kind's discovery.
const pollInterval = 100 * time.Millisecond

// applier applies a rendered release into one user cluster.
type applier struct {
	c            client.Client
	fieldManager string
	// crdTimeout bounds the wait for CRDs and their kinds.
	crdTimeout time.Duration
	// takeover lets it apply over KKP's BSL on the same location
	// (guardKKPBSL).
	takeover bool
}

// apply applies objs (render order, CRDs first) and returns the refs of
// everything applied. It stops at the first failure, and applies nothing
// over a BSL of KKP's own cluster backup (guardKKPBSL).
func (a applier) apply(ctx context.Context, objs []*unstructured.Unstructured) ([]ObjectRef, error) {
	if err := a.guardKKPBSL(ctx, objs); err != nil {
		return nil, err
	}
	refs := make([]ObjectRef, 0, len(objs))
	var crds []*unstructured.Unstructured
	i := 0
	for ; i < len(objs) && objs[i].GroupVersionKind() == crdGVK; i++ {
		applied, err := a.applyOne(ctx, objs[i])
		if err != nil {
			return refs, err
		}
		crds = append(crds, applied)
		refs = append(refs, refOf(objs[i]))
	}
	deadline := time.Now().Add(a.crdTimeout)
	if err := a.waitEstablished(ctx, crds, deadline); err != nil {
		return refs, err
	}
	custom := map[schema.GroupKind]bool{}
	for _, crd := range crds {
		g, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		k, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		custom[schema.GroupKind{Group: g, Kind: k}] = true
	}
	for ; i < len(objs); i++ {
		if objs[i].GroupVersionKind() == crdGVK {
			return refs, fmt.Errorf("render order: customresourcedefinition %s after other objects", objs[i].GetName())
		}
		if err := a.applyServed(ctx, objs[i], deadline, custom[objs[i].GroupVersionKind().GroupKind()]); err != nil {
			return refs, err
		}
		refs = append(refs, refOf(objs[i]))
	}
	return refs, nil
}

// applyOne server-side applies a copy of u and returns the API server's
// answer.
func (a applier) applyOne(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	obj := u.DeepCopy()
	if err := a.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(a.fieldManager), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("apply %s: %w", describe(u), err)
	}
	return obj, nil
}

// applyServed applies u, retrying until deadline while its kind is not
// served yet: API discovery can lag a moment behind a CRD's Established
// condition (a NoMatch error), and so can serving the resource of a kind
// the release's CRDs define (custom) to a client that maps the kind without
// discovery (controllers/userclient): a 404.
func (a applier) applyServed(ctx context.Context, u *unstructured.Unstructured, deadline time.Time, custom bool) error {
	for {
		_, err := a.applyOne(ctx, u)
		notServed := meta.IsNoMatchError(err) || custom && apierrors.IsNotFound(err)
		if err == nil || !notServed || time.Now().After(deadline) {
			return err
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("apply %s: %w", describe(u), err)
		}
	}
}

// waitEstablished waits until every CRD (as answered by the apply) is
// Established, reading those that are not yet, until deadline.
func (a applier) waitEstablished(ctx context.Context, crds []*unstructured.Unstructured, deadline time.Time) error {
	for _, crd := range crds {
		for !established(crd) {
			if time.Now().After(deadline) {
				return fmt.Errorf("customresourcedefinition %s is not Established after %s", crd.GetName(), a.crdTimeout)
			}
			if err := sleep(ctx, pollInterval); err != nil {
				return fmt.Errorf("wait for customresourcedefinition %s: %w", crd.GetName(), err)
			}
			cur := &unstructured.Unstructured{}
			cur.SetGroupVersionKind(crdGVK)
			if err := a.c.Get(ctx, client.ObjectKey{Name: crd.GetName()}, cur); err != nil {
				return fmt.Errorf("read customresourcedefinition %s: %w", crd.GetName(), err)
			}
			crd = cur
		}
	}
	return nil
}

// established reports whether a CRD's Established condition is True.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// describe names an object in errors: "Deployment velero/velero".
func describe(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + " " + u.GetName()
	}
	return u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
