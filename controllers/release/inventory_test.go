package release

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestObjectRef(t *testing.T) {
	for _, s := range []string{"/v1/Namespace//velero", "apps/v1/Deployment/velero/velero", "apiextensions.k8s.io/v1/CustomResourceDefinition//backups.velero.io"} {
		r, err := ParseObjectRef(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseObjectRef(%q) = %+v, %v", s, r, err)
		}
	}
	for _, bad := range []string{"", "v1/Namespace/velero", "/v1/Namespace//", "a/b/c/d/e/f", "//Namespace//x"} {
		if _, err := ParseObjectRef(bad); err == nil {
			t.Errorf("ParseObjectRef(%q) accepted", bad)
		}
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("velero.io/v1")
	u.SetKind("Schedule")
	u.SetNamespace("velero")
	u.SetName("daily")
	if got := refOf(u).String(); got != "velero.io/v1/Schedule/velero/daily" {
		t.Fatalf("refOf = %s", got)
	}
}

func TestInventoryObject(t *testing.T) {
	refs := []ObjectRef{{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "velero", Name: "velero"}, {Version: "v1", Kind: "Namespace", Name: "velero"}}
	u := inventoryObject("velero", "sha256:x", "v1.18.3", "fm", refs, time.Date(2031, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)))
	data, _, _ := unstructured.NestedString(u.Object, "data", InventoryKey)
	if data != "/v1/Namespace//velero\napps/v1/Deployment/velero/velero\n" {
		t.Fatalf("inventory data %q: want sorted refs, one per line", data)
	}
	a := u.GetAnnotations()
	if a[AppliedAtAnnotation] != "2031-01-02T02:04:05Z" || a[DigestAnnotation] != "sha256:x" || a[VeleroVersionAnnotation] != "v1.18.3" || a[FieldManagerAnnotation] != "fm" {
		t.Fatalf("annotations %v", a)
	}
	if u.GetNamespace() != "velero" || u.GetName() != InventoryName || !strings.Contains(u.GetLabels()[ComponentLabel], "inventory") {
		t.Fatalf("parent %s/%s labels %v", u.GetNamespace(), u.GetName(), u.GetLabels())
	}
}

func TestStale(t *testing.T) {
	dep := ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "velero", Name: "velero"}
	ds := ObjectRef{Group: "apps", Version: "v1", Kind: "DaemonSet", Namespace: "velero", Name: "node-agent"}
	vapBeta := ObjectRef{Group: "admissionregistration.k8s.io", Version: "v1beta1", Kind: "ValidatingAdmissionPolicy", Name: "p"}
	vap := vapBeta
	vap.Version = "v1"
	got := stale([]ObjectRef{dep, ds, vapBeta, ds}, []ObjectRef{dep, vap})
	if len(got) != 1 || got[0] != ds {
		t.Fatalf("stale = %v, want only the DaemonSet (the policy is the same object under another version)", got)
	}
}
