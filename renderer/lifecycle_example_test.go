package renderer_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// ExampleRenderer_RenderLifecycle switches a cluster to a new CBSL, keeps the
// old one as a read-only BSL, and checks the transition with Diff.
func ExampleRenderer_RenderLifecycle() {
	fleet, err := renderer.LoadInputsFS(examples.Fleet, "fleet")
	if err != nil {
		panic(err)
	}
	before := fleet[1] // cluster r7tqz9d2wk on CBSL backups-eu (prefix seed-eu)
	after := before
	after.CBSL = before.CBSL.DeepCopy()
	after.CBSL.Name, after.CBSL.Spec.ObjectStorage.Prefix = "backups-eu-2", "seed-eu-2"
	after.Cluster = before.Cluster.DeepCopy()
	after.Cluster.Spec.BackupConfig.BackupStorageLocation.Name = "backups-eu-2"

	r, err := renderer.New(renderer.Options{})
	if err != nil {
		panic(err)
	}
	objects := func(in renderer.Input, lc renderer.Lifecycle) []*unstructured.Unstructured {
		res, err := r.RenderLifecycle(context.Background(), in, lc)
		if err != nil {
			panic(err)
		}
		objs, err := res.Objects()
		if err != nil {
			panic(err)
		}
		return objs
	}
	old := objects(before, renderer.Lifecycle{})
	switched := objects(after, renderer.Lifecycle{Previous: []renderer.PreviousLocation{{CBSL: before.CBSL}}})
	for _, o := range switched {
		if o.GetKind() == "BackupStorageLocation" {
			mode, _, _ := unstructured.NestedString(o.Object, "spec", "accessMode")
			def, _, _ := unstructured.NestedBool(o.Object, "spec", "default")
			pfx, _, _ := unstructured.NestedString(o.Object, "spec", "objectStorage", "prefix")
			fmt.Printf("BSL %s: default=%v accessMode=%q prefix=%s\n", o.GetName(), def, mode, pfx)
		}
	}
	// The cluster's Backups name the managed BSL "default".
	backup := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": "nightly-1", "namespace": "velero"},
		"spec":     map[string]any{"storageLocation": "default"},
	}}
	opts := renderer.DiffOptions{Backups: []*unstructured.Unstructured{backup}, BackupsKnown: true}
	fmt.Println("with the previous location, dangerous:", renderer.Diff(old, switched, opts).Dangerous())
	bare := renderer.Diff(old, objects(after, renderer.Lifecycle{}), opts)
	for _, d := range bare.Dangers {
		fmt.Println("without it:", d.Ref)
	}
	// Output:
	// BSL default: default=true accessMode="" prefix=seed-eu-2/jnpllgp66z/r7tqz9d2wk
	// BSL previous-backups-eu: default=false accessMode="ReadOnly" prefix=seed-eu/jnpllgp66z/r7tqz9d2wk
	// with the previous location, dangerous: false
	// without it: velero.io/BackupStorageLocation velero/default
}
