package release

import (
	"context"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestStorageSwitch: moving a Cluster to another CBSL points the managed BSL
// at the new prefix and keeps the old location as a read-only BSL; the
// seed remembers it durably, so a new process (a restart, a new leader)
// still renders it; switching back takes it off the list and keeps the
// other location instead.
func TestStorageSwitch(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	const id, ns = "sw2k9x7qpd", "velero-switch"
	one, two := newCBSL("backups-one", bucket, "one"), newCBSL("backups-two", bucket, "two")
	e.create(t, one, two, newCluster(id, one.Name))
	e.register(t, id)
	l := e.newLoop(t, Options{VeleroNamespace: ns}, Settings{})
	l.mustReconcile(t, id)
	bsl := func(name string) (pfx, mode string, dflt bool) {
		t.Helper()
		u := e.userGet(t, gvkBSL, ns, name)
		if u == nil {
			t.Fatalf("BSL %s/%s is missing", ns, name)
		}
		pfx, _, _ = unstructured.NestedString(u.Object, "spec", "objectStorage", "prefix")
		mode, _, _ = unstructured.NestedString(u.Object, "spec", "accessMode")
		dflt, _, _ = unstructured.NestedBool(u.Object, "spec", "default")
		return pfx, mode, dflt
	}
	if pfx, _, dflt := bsl(kkpv1.KKPBSLName); pfx != "one/"+projectID+"/"+id || !dflt {
		t.Fatalf("managed BSL prefix %q default %v", pfx, dflt)
	}
	setCBSL := func(name string) {
		t.Helper()
		var c kkpv1.Cluster
		testenv.Must(t, e.seed.Client.Get(ctx, client.ObjectKey{Name: id}, &c))
		c.Spec.BackupConfig = &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: name}}
		testenv.Must(t, e.seed.Client.Update(ctx, &c))
	}

	// Velero's repositories of the managed BSL (at the old storage) and of
	// another BSL.
	repo := func(name, bsl string) *velerov1.BackupRepository {
		return &velerov1.BackupRepository{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: velerov1.BackupRepositorySpec{VolumeNamespace: "shop", BackupStorageLocation: bsl, RepositoryType: "kopia", ResticIdentifier: "x"}}
	}
	testenv.Must(t, e.user.Client.Create(ctx, repo("shop-default-kopia", kkpv1.KKPBSLName)))
	testenv.Must(t, e.user.Client.Create(ctx, repo("shop-other-kopia", "other")))

	setCBSL(two.Name)
	l.mustReconcile(t, id)
	t.Run("the managed BSL's backup repositories are reset, others kept", func(t *testing.T) {
		err := e.user.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-default-kopia"}, &velerov1.BackupRepository{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("the managed BSL's repository at the old storage: %v, want it deleted", err)
		}
		testenv.Must(t, e.user.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-other-kopia"}, &velerov1.BackupRepository{}))
	})
	t.Run("managed BSL on the new prefix, the old one read-only", func(t *testing.T) {
		if pfx, mode, dflt := bsl(kkpv1.KKPBSLName); pfx != "two/"+projectID+"/"+id || !dflt || mode == "ReadOnly" {
			t.Fatalf("managed BSL prefix %q mode %q default %v", pfx, mode, dflt)
		}
		if pfx, mode, dflt := bsl("previous-backups-one"); pfx != "one/"+projectID+"/"+id || dflt || mode != "ReadOnly" {
			t.Fatalf("previous BSL prefix %q mode %q default %v", pfx, mode, dflt)
		}
		l.wantPhase(t, id, PhaseApplied)
		e.waitEvent(t, id, ReasonApplied, "clusterbackupstoragelocation backups-two", "1 previous location(s) kept read-only")
	})

	t.Run("the seed's state holds the locations and no secret", func(t *testing.T) {
		var cm corev1.ConfigMap
		testenv.Must(t, e.seed.Client.Get(ctx, client.ObjectKey{Namespace: DefaultStateNamespace, Name: StateConfigMapPrefix + id}, &cm))
		if cm.Labels[ClusterIDLabel] != id {
			t.Fatalf("state labels %v", cm.Labels)
		}
		m, err := parseMemory(cm.Name, cm.Data)
		testenv.Must(t, err)
		if m.Location.Name != two.Name || len(m.Previous) != 1 || m.Previous[0].BSL != "previous-backups-one" || m.Previous[0].CBSL.Name != one.Name {
			t.Fatalf("state %+v", m)
		}
		for k, v := range cm.Data {
			if strings.Contains(v, "secretAccessKey") || k != StateKeyLocation && k != StateKeyPrevious && k != StateKeyLifecycle && k != StateKeyBSLName {
				t.Fatalf("state key %s holds %s", k, v)
			}
		}
	})

	t.Run("a new process still renders the previous location", func(t *testing.T) {
		// Another render configuration, so the new process must apply, and
		// what it applies comes from the seed's state alone.
		s, err := ParseSettings("seed.yaml", []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  nodeAgent: false\n"))
		testenv.Must(t, err)
		l2 := e.newLoop(t, Options{VeleroNamespace: ns}, s)
		l2.mustReconcile(t, id)
		if e.userGet(t, gvkDaemonSet, ns, "node-agent") != nil {
			t.Fatal("the new process did not apply its render")
		}
		want, err := l2.renderer.RenderLifecycle(ctx, renderer.Input{Cluster: newCluster(id, two.Name), CBSL: two},
			renderer.Lifecycle{Previous: []renderer.PreviousLocation{{CBSL: one}}, BSLName: kkpv1.KKPBSLName})
		testenv.Must(t, err)
		d, err := Digest(want)
		testenv.Must(t, err)
		if got := e.userGet(t, gvkConfigMap, ns, InventoryName).GetAnnotations()[DigestAnnotation]; got != d {
			t.Fatalf("inventory digest %s, want the render with the previous location %s", got, d)
		}
		if _, mode, _ := bsl("previous-backups-one"); mode != "ReadOnly" {
			t.Fatalf("previous BSL mode %q", mode)
		}
	})

	t.Run("switching back", func(t *testing.T) {
		setCBSL(one.Name)
		l.mustReconcile(t, id)
		if pfx, _, _ := bsl(kkpv1.KKPBSLName); pfx != "one/"+projectID+"/"+id {
			t.Fatalf("managed BSL prefix %q", pfx)
		}
		if pfx, mode, _ := bsl("previous-backups-two"); pfx != "two/"+projectID+"/"+id || mode != "ReadOnly" {
			t.Fatalf("previous BSL of backups-two: prefix %q mode %q", pfx, mode)
		}
		// The BSL of the location that is current again is a kept kind:
		// it stays (Backups name it), off the render.
		bsl("previous-backups-one")
		lines, _, _ := unstructured.NestedString(e.userGet(t, gvkConfigMap, ns, InventoryName).Object, "data", InventoryKey)
		if strings.Contains(lines, "previous-backups-one") || !strings.Contains(lines, "previous-backups-two") {
			t.Fatalf("inventory:\n%s", lines)
		}
	})
}
