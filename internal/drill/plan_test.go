package drill

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// TestPlan: system and Velero namespaces are never mapped, scratch names
// are bounded and labelled, the Restore keeps to the scratch namespaces
// and leaves cluster-scoped and excluded resources out.
func TestPlan(t *testing.T) {
	p := NewPlan("0a1b2c3d", "shop-1", "velero", []string{"shop", "velero", "kube-system", "a", "b", "c", "shop"}, PlanOptions{MaxNamespaces: 3})
	want := map[string]string{"a": "drill-0a1b2c3d-1", "b": "drill-0a1b2c3d-2", "c": "drill-0a1b2c3d-3"}
	if len(p.Namespaces) != 3 || p.Namespaces["a"] != want["a"] || p.Namespaces["c"] != want["c"] {
		t.Fatalf("namespaces %v, want %v", p.Namespaces, want)
	}
	if !slices.Equal(p.Skipped, []string{"kube-system", "shop", "velero"}) {
		t.Fatalf("skipped %v", p.Skipped)
	}
	objs := p.ScratchObjects()
	if len(objs) != 9 {
		t.Fatalf("%d scratch objects, want 3 per namespace", len(objs))
	}
	for i, o := range objs {
		if o.GetLabels()[Label] != "true" || o.GetLabels()[RunLabel] != "0a1b2c3d" {
			t.Fatalf("%T %s not labelled: %v", o, o.GetName(), o.GetLabels())
		}
		switch i % 3 {
		case 0:
			if _, ok := o.(*corev1.Namespace); !ok {
				t.Fatalf("object %d is a %T, want the Namespace first", i, o)
			}
		case 1:
			np := o.(*networkingv1.NetworkPolicy)
			if len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) != 0 || len(np.Spec.Ingress)+len(np.Spec.Egress) != 0 || len(np.Spec.PolicyTypes) != 2 {
				t.Fatalf("network policy is not deny-all: %+v", np.Spec)
			}
		case 2:
			q := o.(*corev1.ResourceQuota)
			if v := q.Spec.Hard[corev1.ResourceServicesLoadBalancers]; !v.IsZero() {
				t.Fatalf("quota allows load balancers: %v", q.Spec.Hard)
			}
		}
	}
	r := p.Restore()
	if r.Spec.BackupName != "shop-1" || !slices.Equal(r.Spec.IncludedNamespaces, []string{"a", "b", "c"}) || r.Spec.NamespaceMapping["b"] != "drill-0a1b2c3d-2" {
		t.Fatalf("restore spec %+v", r.Spec)
	}
	if *r.Spec.IncludeClusterResources || !*r.Spec.RestorePVs || *r.Spec.PreserveNodePorts || r.Spec.ExistingResourcePolicy != velerov1.PolicyTypeNone {
		t.Fatalf("restore flags %+v", r.Spec)
	}
	for _, must := range []string{"networkpolicies.networking.k8s.io", "ingresses.networking.k8s.io", "validatingwebhookconfigurations.admissionregistration.k8s.io"} {
		if !slices.Contains(r.Spec.ExcludedResources, must) {
			t.Fatalf("%s not excluded: %v", must, r.Spec.ExcludedResources)
		}
	}
	cm := p.ModifiersConfigMap()
	if r.Spec.ResourceModifier.Name != cm.Name || cm.Namespace != "velero" || len(cm.Data) != 1 {
		t.Fatalf("modifiers %s/%s %v for %v", cm.Namespace, cm.Name, cm.Data, r.Spec.ResourceModifier)
	}
	var mods struct {
		Version string `json:"version"`
		Rules   []struct {
			Conditions struct {
				GroupResource string `json:"groupResource"`
				Matches       []struct {
					Path  string `json:"path"`
					Value string `json:"value"`
				} `json:"matches"`
			} `json:"conditions"`
			MergePatches []struct {
				PatchData string `json:"patchData"`
			} `json:"mergePatches"`
		} `json:"resourceModifierRules"`
	}
	if err := yaml.UnmarshalStrict([]byte(cm.Data[ModifiersKey]), &mods); err != nil || mods.Version != "v1" {
		t.Fatalf("modifiers do not parse: %v", err)
	}
	for _, rule := range mods.Rules {
		for _, mp := range rule.MergePatches {
			if !json.Valid([]byte(mp.PatchData)) {
				t.Fatalf("patch of %s is not JSON: %s", rule.Conditions.GroupResource, mp.PatchData)
			}
		}
	}
	if len(mods.Rules) == 0 || mods.Rules[0].Conditions.GroupResource != "cronjobs.batch" || !strings.Contains(mods.Rules[0].MergePatches[0].PatchData, `"suspend":true`) {
		t.Fatalf("cronjobs not suspended: %+v", mods.Rules)
	}
	if id := NewRun(); len(id) != 8 || id == NewRun() {
		t.Fatalf("run IDs %q", id)
	}
}

func gz(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

// TestParseResourceList: namespaces from namespaced items; excluded kinds
// and what Velero never restores are not expected back.
func TestParseResourceList(t *testing.T) {
	l, err := ParseResourceList(gz(t, map[string][]string{
		"v1/Namespace":                       {"shop"},
		"v1/Pod":                             {"shop/db"},
		"v1/PersistentVolumeClaim":           {"shop/data"},
		"v1/PersistentVolume":                {"pv-1"},
		"v1/Event":                           {"shop/e1", "shop/e2"},
		"networking.k8s.io/v1/Ingress":       {"shop/web"},
		"networking.k8s.io/v1/NetworkPolicy": {"shop/allow", "web/allow"},
		"batch/v1/CronJob":                   {"web/nightly"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Namespaces, []string{"shop", "web"}) {
		t.Fatalf("namespaces %v", l.Namespaces)
	}
	if e, x := l.Expected([]string{"shop"}); e != 2 || x != 2 {
		t.Fatalf("shop: expected %d excluded %d, want 2 and 2", e, x)
	}
	if e, x := l.Expected([]string{"shop", "web"}); e != 3 || x != 3 {
		t.Fatalf("both: expected %d excluded %d, want 3 and 3", e, x)
	}
	if _, err := ParseResourceList([]byte("not gzip")); err == nil {
		t.Fatal("garbage parsed")
	}
	errs, err := ParseRestoreErrors(gz(t, map[string]any{
		"errors":   map[string]any{"velero": []string{"error downloading backup: unexpected EOF"}, "namespaces": map[string][]string{"b": {"x"}, "a": {"y", "z"}}},
		"warnings": map[string]any{"velero": []string{"ignored"}},
	}))
	if err != nil || strings.Join(errs, "|") != "error downloading backup: unexpected EOF|a: y|a: z" {
		t.Fatalf("restore errors %q, %v", errs, err)
	}
}
