package release

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestKKPBSLLeftAlone: a user cluster where KKP's own cluster backup left
// its BSL default-cluster-backup-bsl (on KKP's prefix <project>/<cluster>)
// is not applied over when the loop enables it: the reconcile fails before
// anything is applied, naming the BSL and the way out, and KKP's BSL keeps
// its prefix (Velero's sync would otherwise delete the Backups listed under
// it).
func TestKKPBSLLeftAlone(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	const ns, id = "velero-kkp", "kkp4t7q2wz"
	cbsl := newCBSL("backups-kkp", bucket, "kkp-seed")
	e.create(t, cbsl)
	e.register(t, id)

	// Velero's CRDs, as KKP installs them, and KKP's BSL.
	rn, err := renderer.New(renderer.Options{})
	must(t, err)
	res, err := rn.Render(ctx, renderer.Input{Cluster: newCluster(id, cbsl.Name), CBSL: cbsl})
	must(t, err)
	objs, err := res.Objects()
	must(t, err)
	for _, o := range objs {
		if o.GroupVersionKind() == crdGVK {
			must(t, e.user.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), client.FieldOwner("kubermatic"), client.ForceOwnership))
		}
	}
	must(t, client.IgnoreAlreadyExists(e.user.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})))
	kkpPrefix := projectID + "/" + id
	kkp := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
		"metadata": map[string]any{"name": kkpv1.KKPBSLName, "namespace": ns},
		"spec": map[string]any{
			"provider": "aws", "default": true,
			"objectStorage": map[string]any{"bucket": bucket, "prefix": kkpPrefix},
			"config":        map[string]any{"region": "eu-central-1", "s3Url": endpoint},
		},
	}}
	deadline := time.Now().Add(30 * time.Second)
	for err = e.user.Client.Create(ctx, kkp.DeepCopy(), client.FieldOwner("kubermatic")); meta.IsNoMatchError(err) && time.Now().Before(deadline); err = e.user.Client.Create(ctx, kkp.DeepCopy(), client.FieldOwner("kubermatic")) {
		time.Sleep(200 * time.Millisecond)
	}
	must(t, err)

	l := e.newLoop(t, Options{VeleroNamespace: ns}, Settings{})
	e.create(t, newCluster(id, cbsl.Name))
	want := "BackupStorageLocation " + ns + "/" + kkpv1.KKPBSLName + " exists and was not applied by clusterbackup"
	if _, err := l.reconcile(t, id); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("reconcile error %v, want %q", err, want)
	}
	st := l.wantPhase(t, id, PhaseFailed)
	if !strings.Contains(st.Reason, want) || !strings.Contains(st.Reason, "docs/migration.md") {
		t.Fatalf("reason %q, want the BSL named and the way out", st.Reason)
	}
	e.waitEvent(t, id, ReasonFailed, kkpv1.KKPBSLName)
	got := e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName)
	if p, _, _ := unstructured.NestedString(got.Object, "spec", "objectStorage", "prefix"); p != kkpPrefix || appliedBy(got.GetManagedFields(), DefaultFieldManager) {
		t.Fatalf("KKP's BSL was changed: prefix %q, managers %v", p, got.GetManagedFields())
	}
	if e.userGet(t, gvkDeployment, ns, "velero") != nil || e.userGet(t, gvkConfigMap, ns, InventoryName) != nil {
		t.Fatal("something of the release was applied")
	}
}
