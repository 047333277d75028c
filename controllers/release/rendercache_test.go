package release

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// TestRenderKey: the key of a render changes with every input the
// renderer reads (generation, labels, annotations, spec, location,
// BSL name, lifecycle) and not with what it does not (status, resource version).
func TestRenderKey(t *testing.T) {
	cbsl := &kkpv1.ClusterBackupStorageLocation{ObjectMeta: metav1.ObjectMeta{Name: "eu", Namespace: "kubermatic"}}
	cluster := &kkpv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: "c1", Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: "eu"}}},
	}
	base, ok := planFor(cluster, cbsl, memory{}, false)
	if !ok {
		t.Fatal("no plan")
	}
	k0 := renderKey("g1", base)
	if renderKey("g1", base) != k0 {
		t.Fatal("renderKey is not deterministic")
	}
	same := cluster.DeepCopy()
	same.ResourceVersion, same.Generation = "42", 7
	if p, _ := planFor(same, cbsl, memory{}, false); renderKey("g1", p) != k0 {
		t.Error("resource version or generation changed the key")
	}
	differ := map[string]func() plan{
		"generation": func() plan { return base },
		"label": func() plan {
			c := cluster.DeepCopy()
			c.Labels["team"] = "x"
			p, _ := planFor(c, cbsl, memory{}, false)
			return p
		},
		"annotation": func() plan {
			c := cluster.DeepCopy()
			c.Annotations = map[string]string{kkpv1.KKPTakeoverAnnotation: "true"}
			p, _ := planFor(c, cbsl, memory{}, false)
			return p
		},
		"location": func() plan {
			l := cbsl.DeepCopy()
			l.Spec.Config = map[string]string{"region": "x"}
			p, _ := planFor(cluster, l, memory{}, false)
			return p
		},
		"bsl name": func() plan {
			p, _ := planFor(cluster, cbsl, memory{Location: trimCBSL(cbsl), BSLName: managedBSLName}, false)
			return p
		},
		"disabled": func() plan {
			c := cluster.DeepCopy()
			c.Spec.BackupConfig = nil
			p, _ := planFor(c, nil, memory{Location: trimCBSL(cbsl), BSLName: managedBSLName}, false)
			return p
		},
	}
	for name, p := range differ {
		gen := "g1"
		if name == "generation" {
			gen = "g2"
		}
		if renderKey(gen, p()) == k0 {
			t.Errorf("%s: the key did not change", name)
		}
	}
}
