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
