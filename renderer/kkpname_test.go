package renderer

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestLifecycleBSLName: a cluster's managed BSL rendered under KKP's name
// (Lifecycle.BSLName, as the release loop does for clusters it enables
// first) is that name everywhere the chart names the managed BSL: the BSL,
// Velero's --default-backup-storage-location, the webhook's
// --managed-bsl-name and the admission policies' parameters; a previous
// location may not take it, and a name that is no Kubernetes name is
// refused.
func TestLifecycleBSLName(t *testing.T) {
	in := loadCase(t, "plain")
	objs := renderLC(t, Options{}, in, Lifecycle{BSLName: KKPBSLName})
	bsl := find(objs, "BackupStorageLocation", KKPBSLName)
	if bsl == nil || find(objs, "BackupStorageLocation", "default") != nil {
		t.Fatalf("want the managed BSL %s only, got BSLs %v", KKPBSLName, namesOf(objs, "BackupStorageLocation"))
	}
	if def, _, _ := unstructured.NestedBool(bsl.Object, "spec", "default"); !def {
		t.Fatal("the managed BSL under KKP's name is not the default")
	}
	seen := 0
	for _, d := range objs {
		if d.GetKind() != "Deployment" {
			continue
		}
		cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		for _, c := range cs {
			args, _, _ := unstructured.NestedStringSlice(c.(map[string]any), "args")
			for _, a := range args {
				if strings.HasPrefix(a, "--default-backup-storage-location=") || strings.HasPrefix(a, "--managed-bsl-name=") {
					seen++
					if !strings.HasSuffix(a, "="+KKPBSLName) {
						t.Fatalf("Deployment %s: %s, want the managed BSL %s", d.GetName(), a, KKPBSLName)
					}
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no Deployment names the managed BSL")
	}
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" && strings.HasSuffix(o.GetName(), "admission-params") {
			if got, _, _ := unstructured.NestedString(o.Object, "data", "bslName"); got != KKPBSLName {
				t.Fatalf("admission params bslName %q, want %q", got, KKPBSLName)
			}
		}
	}
	lc := Lifecycle{BSLName: KKPBSLName, Previous: []PreviousLocation{{Name: KKPBSLName, CBSL: oldCBSL(in, "x", "old")}}}
	if errs := lc.Validate(in, Options{}); !strings.Contains(errs.ToAggregate().Error(), `lifecycle.previous[0].name: Invalid value: "default-cluster-backup-bsl": is the managed BSL's name`) {
		t.Fatalf("previous location under the managed name: %v", errs)
	}
	if errs := (Lifecycle{BSLName: "Not_A_Name"}).Validate(in, Options{}); !strings.Contains(errs.ToAggregate().Error(), `lifecycle.bslName: Invalid value: "Not_A_Name"`) {
		t.Fatalf("bad BSL name: %v", errs)
	}
}

// namesOf lists the names of objs of kind.
func namesOf(objs []*unstructured.Unstructured, kind string) []string {
	var out []string
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o.GetName())
		}
	}
	return out
}

// TestKKPLocationWarning: a KKP migration render (KKP's location kept
// read-only under KKP's name) for a Kubernetes version without
// MutatingAdmissionPolicy and without the webhook carries
// KKPLocationWarning and the denying policy; with MutatingAdmissionPolicy
// served, or the webhook on, or without a KKP location, no warning.
func TestKKPLocationWarning(t *testing.T) {
	in := loadCase(t, "cbsl-prefix")
	prev, ok := KKPPreviousLocation(in)
	if !ok {
		t.Fatal("cbsl-prefix has a CBSL prefix: KKP's location differs")
	}
	migrate := Lifecycle{Previous: []PreviousLocation{prev}}
	webhookOn := map[string]any{"webhook": map[string]any{"enabled": true}}
	for name, tc := range map[string]struct {
		opts Options
		lc   Lifecycle
		want bool
	}{
		"Kubernetes 1.35, no webhook":      {opts: Options{KubeVersion: "v1.35.4"}, lc: migrate, want: true},
		"Kubernetes 1.37, no webhook":      {opts: Options{}, lc: migrate},
		"Kubernetes 1.35, webhook on":      {opts: Options{KubeVersion: "v1.35.4", Values: webhookOn}, lc: migrate},
		"Kubernetes 1.35, no KKP location": {opts: Options{KubeVersion: "v1.35.4"}},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.RenderLifecycle(t.Context(), in, tc.lc)
			if err != nil {
				t.Fatal(err)
			}
			denies := false
			for _, m := range res.Manifests {
				denies = denies || m.Kind == "ValidatingAdmissionPolicy" && m.Name == KKPLocationPolicy
			}
			want := []string(nil)
			if tc.want {
				want = []string{KKPLocationWarning(in.ClusterID(), "default", "v1.35.4")}
			}
			if denies != tc.want || strings.Join(res.Warnings, "\n") != strings.Join(want, "\n") {
				t.Fatalf("policy %s rendered %v, warnings %q; want %v, %q", KKPLocationPolicy, denies, res.Warnings, tc.want, want)
			}
		})
	}
	t.Logf("warning: %s", KKPLocationWarning(in.ClusterID(), "default", "v1.35.4"))
}
