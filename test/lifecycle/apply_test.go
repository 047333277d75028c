package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/renderer"
)

// fieldManager is the GitOps applier's field manager (Argo CD's).
const fieldManager = "argocd-controller"

// wave returns an object's Argo CD sync wave (0 when unset).
func wave(o *unstructured.Unstructured) int {
	w, err := strconv.Atoi(o.GetAnnotations()["argocd.argoproj.io/sync-wave"])
	if err != nil {
		return 0
	}
	return w
}

// pruneSafe reports whether Argo CD or Helm would keep the object when it
// disappears from the render.
func pruneSafe(o *unstructured.Unstructured) bool {
	a := o.GetAnnotations()
	for _, opt := range strings.Split(a["argocd.argoproj.io/sync-options"], ",") {
		if strings.TrimSpace(opt) == "Prune=false" {
			return true
		}
	}
	return a["helm.sh/resource-policy"] == "keep"
}

// syncResult says what a sync did.
type syncResult struct {
	applied, pruned, kept []string
}

// syncRender applies next as Argo CD would: in sync-wave order (stable, so the
// renderer's kind order holds within a wave), each object with server-side
// apply under one field manager with force, retrying briefly while an
// admission policy's parameters propagate; then it prunes what prev had
// and next lacks, unless the live object is prune-safe.
func syncRender(t *testing.T, c client.Client, prev, next []*unstructured.Unstructured) syncResult {
	t.Helper()
	ctx := context.Background()
	objs := append([]*unstructured.Unstructured(nil), next...)
	sort.SliceStable(objs, func(i, j int) bool { return wave(objs[i]) < wave(objs[j]) })
	var res syncResult
	for _, o := range objs {
		o = o.DeepCopy()
		o.SetManagedFields(nil)
		var err, first error
		attempts := 0
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(250 * time.Millisecond) {
			attempts++
			err = c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(fieldManager), client.ForceOwnership)
			if err == nil || time.Now().After(deadline) {
				break
			}
			if first == nil {
				first = err
			}
		}
		if err != nil {
			t.Fatalf("apply %s: %v", renderer.RefOf(o), err)
		}
		if attempts > 1 {
			t.Logf("apply %s succeeded after %d attempts (first error: %v)", renderer.RefOf(o), attempts, first)
		}
		res.applied = append(res.applied, renderer.RefOf(o).String())
	}
	keep := map[renderer.ObjectRef]bool{}
	for _, o := range next {
		keep[renderer.RefOf(o)] = true
	}
	for _, o := range prev {
		ref := renderer.RefOf(o)
		if keep[ref] {
			continue
		}
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(o.GroupVersionKind())
		err := c.Get(ctx, client.ObjectKeyFromObject(o), live)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			t.Fatalf("get %s: %v", ref, err)
		}
		if pruneSafe(live) {
			res.kept = append(res.kept, ref.String())
			continue
		}
		if err := c.Delete(ctx, live, client.PropagationPolicy("Background")); err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("prune %s: %v", ref, err)
		}
		res.pruned = append(res.pruned, ref.String())
	}
	return res
}

// writeRender writes a render as one YAML stream DIR/<name>/release.yaml
// and returns the folder, for the diff CLI.
func writeRender(t *testing.T, dir, name string, objs []*unstructured.Unstructured) string {
	t.Helper()
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, o := range objs {
		j, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "---\n%s\n", j)
	}
	if err := os.WriteFile(filepath.Join(d, "release.yaml"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}
