package renderer

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(apiVersion, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name}}}
	if ns != "" {
		o.SetNamespace(ns)
	}
	if spec != nil {
		o.Object["spec"] = spec
	}
	return o
}

func bsl(name, bucket, pfx string) *unstructured.Unstructured {
	return obj("velero.io/v1", "BackupStorageLocation", "velero", name, map[string]any{
		"provider": "aws", "objectStorage": map[string]any{"bucket": bucket, "prefix": pfx}, "config": map[string]any{"s3Url": "https://S3.example.com/"},
	})
}

func backup(name, loc string) *unstructured.Unstructured {
	return obj("velero.io/v1", "Backup", "velero", name, map[string]any{"storageLocation": loc})
}

var (
	crd     = obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "backups.velero.io", map[string]any{"group": "velero.io"})
	ns      = obj("v1", "Namespace", "", "velero", nil)
	deploy  = obj("apps/v1", "Deployment", "velero", "velero", map[string]any{"replicas": int64(1)})
	backups = []*unstructured.Unstructured{backup("b1", "default"), backup("b2", "default")}
)

func TestDiff(t *testing.T) {
	base := []*unstructured.Unstructured{crd, ns, deploy, bsl("default", "bkt", "a/p/c")}
	tests := map[string]struct {
		old, new  []*unstructured.Unstructured
		backups   []*unstructured.Unstructured
		created   int
		changed   int
		removed   int
		dangerous []string // substrings, one per danger
	}{
		"no change": {old: base, new: base},
		"workload removed (disable)": {
			old: base, new: []*unstructured.Unstructured{crd, ns, bsl("default", "bkt", "a/p/c")}, backups: backups,
			removed: 1,
		},
		"switch with previous location": {
			old: base, new: []*unstructured.Unstructured{crd, ns, deploy, bsl("default", "bkt", "b/p/c"), bsl("previous-a", "bkt", "a/p/c/")},
			backups: backups, created: 1, changed: 1,
		},
		"switch without previous location": {
			old: base, new: []*unstructured.Unstructured{crd, ns, deploy, bsl("default", "bkt", "b/p/c")},
			backups: backups, changed: 1,
			dangerous: []string{`BackupStorageLocation velero/default: the BSL moves away from bucket bkt at https://s3.example.com:443 prefix "a/p/c", which still holds 2 backup(s) (b1, b2)`},
		},
		"switch, the cluster has no backups": {
			old: base, new: []*unstructured.Unstructured{crd, ns, deploy, bsl("default", "bkt", "b/p/c")}, changed: 1,
			backups: []*unstructured.Unstructured{},
		},
		"switch, backups unknown": {
			old: base, new: []*unstructured.Unstructured{crd, ns, deploy, bsl("default", "bkt", "b/p/c")}, changed: 1,
			dangerous: []string{`BackupStorageLocation velero/default: the BSL moves away from bucket bkt at https://s3.example.com:443 prefix "a/p/c", which may still hold backups (pass the cluster's Backups with --backups to know)`},
		},
		"purge": {
			old: base, new: nil, backups: backups, removed: 4,
			dangerous: []string{
				"CustomResourceDefinition backups.velero.io: removing a CustomResourceDefinition deletes every object",
				"Namespace velero: deleting the namespace",
				"BackupStorageLocation velero/default: the BSL still has 2 backup(s) (b1, b2)",
			},
		},
		"retire a previous location with backups (found among the old objects)": {
			old: []*unstructured.Unstructured{bsl("default", "bkt", "b/p/c"), bsl("previous-a", "bkt", "a/p/c"), backup("old1", "previous-a")},
			new: []*unstructured.Unstructured{bsl("default", "bkt", "b/p/c")}, removed: 2,
			dangerous: []string{"BackupStorageLocation velero/previous-a: the BSL still has 1 backup(s) (old1)", "velero.io/Backup velero/old1: the Backup object would be removed"},
		},
		"retire an empty previous location": {
			old: []*unstructured.Unstructured{bsl("default", "bkt", "b/p/c"), bsl("previous-a", "bkt", "a/p/c")},
			new: []*unstructured.Unstructured{bsl("default", "bkt", "b/p/c")}, backups: backups, removed: 1,
		},
		"retire a rendered previous location": {
			old: []*unstructured.Unstructured{bsl("default", "bkt", "b/p/c"), labelled(bsl("previous-a", "bkt", "a/p/c"), PreviousLocationLabel, "true")},
			new: []*unstructured.Unstructured{bsl("default", "bkt", "b/p/c")}, removed: 1,
			dangerous: []string{"BackupStorageLocation velero/previous-a: it is a previous storage location"},
		},
		"version change of the same object is a change": {
			old: []*unstructured.Unstructured{obj("velero.io/v1", "DataUpload", "velero", "x", map[string]any{"a": "b"})},
			new: []*unstructured.Unstructured{obj("velero.io/v2alpha1", "DataUpload", "velero", "x", map[string]any{"a": "b"})}, changed: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := Diff(tc.old, tc.new, DiffOptions{Backups: tc.backups, BackupsKnown: tc.backups != nil})
			if len(r.Created) != tc.created || len(r.Changed) != tc.changed || len(r.Removed) != tc.removed {
				t.Errorf("created %v changed %v removed %v; want %d/%d/%d", r.Created, r.Changed, r.Removed, tc.created, tc.changed, tc.removed)
			}
			if len(r.Dangers) != len(tc.dangerous) || r.Dangerous() != (len(tc.dangerous) > 0) {
				t.Fatalf("dangers %v, want %d", r.Dangers, len(tc.dangerous))
			}
			var b bytes.Buffer
			if err := r.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.dangerous {
				if !strings.Contains(b.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

func TestDiffChangedFields(t *testing.T) {
	a := bsl("default", "bkt", "a/p/c")
	b := bsl("default", "bkt", "b/p/c")
	b.SetManagedFields(nil)
	b.SetResourceVersion("42") // server-owned: ignored
	b.SetAnnotations(map[string]string{"x": "y"})
	r := Diff([]*unstructured.Unstructured{a}, []*unstructured.Unstructured{b}, DiffOptions{})
	if len(r.Changed) != 1 || strings.Join(r.Changed[0].Fields, ",") != "metadata.annotations,spec.objectStorage.prefix" {
		t.Fatalf("changed %+v", r.Changed)
	}
}

func TestDecodeObjects(t *testing.T) {
	in := "---\n# comment only\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: velero}\n---\n" +
		`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"velero"}}]}` + "\n"
	objs, err := DecodeObjects(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetKind() != "Namespace" || objs[1].GetName() != "a" {
		t.Fatalf("decoded %d objects: %v", len(objs), objs)
	}
	if _, err := DecodeObjects(strings.NewReader("apiVersion: v1\nkind: ConfigMap\n")); err == nil {
		t.Fatal("a document without a name was accepted")
	}
}

func labelled(o *unstructured.Unstructured, k, v string) *unstructured.Unstructured {
	o.SetLabels(map[string]string{k: v})
	return o
}
