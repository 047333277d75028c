package release

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestKKPTakeover (#27 item 2): a user cluster where KKP's own cluster
// backup left its BSL default-cluster-backup-bsl (on KKP's prefix
// <project>/<cluster>) and KKP-era Backups is not applied over when the
// loop enables it: the reconcile fails before anything is applied, naming
// the BSL and the way out, and KKP's BSL keeps its prefix (Velero's sync
// would otherwise delete the Backups listed under it). With takeover (the
// Cluster's annotation) the loop applies the KKP migration render: one
// default BSL ("default", on the CBSL prefix + IDs), KKP's BSL kept
// read-only on its own prefix, the KKP-era Backups and every Velero CRD
// still there. (KKP's velero-controller is EE code, not read here; its BSL
// is shaped from KKP's public e2e test and docs: name, namespace, aws,
// bucket, prefix <project>/<cluster>, the default.)
func TestKKPTakeover(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	const ns, id = "velero-kkp", "kkp4t7q2wz"
	cbsl := newCBSL("backups-kkp", bucket, "kkp-seed")
	e.create(t, cbsl)
	e.register(t, id)

	// Velero's CRDs, as KKP installs them, and KKP's BSL.
	rn, err := renderer.New(renderer.Options{})
	testenv.Must(t, err)
	res, err := rn.Render(ctx, renderer.Input{Cluster: newCluster(id, cbsl.Name), CBSL: cbsl})
	testenv.Must(t, err)
	objs, err := res.Objects()
	testenv.Must(t, err)
	for _, o := range objs {
		if o.GroupVersionKind() == crdGVK {
			testenv.Must(t, e.user.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), client.FieldOwner("kubermatic"), client.ForceOwnership))
		}
	}
	testenv.Must(t, client.IgnoreAlreadyExists(e.user.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})))
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
	kkpEra := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": "kkp-era", "namespace": ns, "labels": map[string]any{"velero.io/storage-location": kkpv1.KKPBSLName}},
		"spec":     map[string]any{"storageLocation": kkpv1.KKPBSLName},
		"status":   map[string]any{"phase": "Completed"},
	}}
	deadline := time.Now().Add(30 * time.Second)
	for err = e.user.Client.Create(ctx, kkp.DeepCopy(), client.FieldOwner("kubermatic")); meta.IsNoMatchError(err) && time.Now().Before(deadline); err = e.user.Client.Create(ctx, kkp.DeepCopy(), client.FieldOwner("kubermatic")) {
		time.Sleep(200 * time.Millisecond)
	}
	testenv.Must(t, err)
	testenv.Must(t, e.user.Client.Create(ctx, kkpEra.DeepCopy()))

	l := e.newLoop(t, Options{VeleroNamespace: ns}, Settings{})
	cl := newCluster(id, cbsl.Name)
	cl.Spec.Version = "1.33.5" // as KKP writes it: a cluster without MutatingAdmissionPolicy
	e.create(t, cl)
	want := "BackupStorageLocation " + ns + "/" + kkpv1.KKPBSLName + " exists and was not applied by clusterbackup"
	// Only a change on the seed (takeover) or in the user cluster fixes it:
	// no backoff, the state and an Event report it.
	if _, err := l.reconcile(t, id); err != nil {
		t.Fatalf("reconcile error %v, want none (reported, retried on the resync period)", err)
	}
	st := l.wantPhase(t, id, PhaseFailed)
	if !strings.Contains(st.Reason, want) || !strings.Contains(st.Reason, "docs/migration.md") {
		t.Fatalf("reason %q, want the BSL named and the way out", st.Reason)
	}
	e.waitEvent(t, id, ReasonFailed, kkpv1.KKPBSLName)
	var state corev1.ConfigMap
	if err := e.seed.Client.Get(ctx, client.ObjectKey{Namespace: DefaultStateNamespace, Name: StateConfigMapPrefix + id}, &state); err == nil {
		t.Fatalf("a cluster left alone has seed state %v", state.Data)
	}
	got := e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName)
	if p, _, _ := unstructured.NestedString(got.Object, "spec", "objectStorage", "prefix"); p != kkpPrefix || appliedBy(got.GetManagedFields(), DefaultFieldManager) {
		t.Fatalf("KKP's BSL was changed: prefix %q, managers %v", p, got.GetManagedFields())
	}
	if e.userGet(t, gvkDeployment, ns, "velero") != nil || e.userGet(t, gvkConfigMap, ns, InventoryName) != nil {
		t.Fatal("something of the release was applied")
	}
	crds := veleroCRDs(t, e)

	// Takeover turned on for this cluster.
	testenv.Must(t, e.seed.Client.Get(ctx, client.ObjectKeyFromObject(cl), cl))
	cl.Annotations = map[string]string{kkpv1.KKPTakeoverAnnotation: "true"}
	testenv.Must(t, e.seed.Client.Update(ctx, cl))
	l.mustReconcile(t, id)
	l.wantPhase(t, id, PhaseApplied)
	managed := e.userGet(t, gvkBSL, ns, "default")
	if managed == nil {
		t.Fatal("no managed BSL default after the takeover")
	}
	if p, _, _ := unstructured.NestedString(managed.Object, "spec", "objectStorage", "prefix"); p != "kkp-seed/"+projectID+"/"+id {
		t.Fatalf("managed BSL prefix %q", p)
	}
	var defaults []string
	var bsls unstructured.UnstructuredList
	bsls.SetGroupVersionKind(gvkBSL.GroupVersion().WithKind("BackupStorageLocationList"))
	testenv.Must(t, e.user.Client.List(ctx, &bsls, client.InNamespace(ns)))
	for _, b := range bsls.Items {
		if d, _, _ := unstructured.NestedBool(b.Object, "spec", "default"); d {
			defaults = append(defaults, b.GetName())
		}
	}
	if len(defaults) != 1 {
		t.Fatalf("default BSLs after the takeover: %v, want one", defaults)
	}
	got = e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName)
	p, _, _ := unstructured.NestedString(got.Object, "spec", "objectStorage", "prefix")
	mode, _, _ := unstructured.NestedString(got.Object, "spec", "accessMode")
	if p != kkpPrefix || mode != "ReadOnly" || !appliedBy(got.GetManagedFields(), DefaultFieldManager) {
		t.Fatalf("KKP's BSL after the takeover: prefix %q (want %q), accessMode %q, applied by the loop %v", p, kkpPrefix, mode, appliedBy(got.GetManagedFields(), DefaultFieldManager))
	}
	if e.userGet(t, schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Backup"}, ns, "kkp-era") == nil {
		t.Fatal("the KKP-era Backup is gone")
	}
	if after := veleroCRDs(t, e); after < crds {
		t.Fatalf("Velero CRDs: %d before the takeover, %d after", crds, after)
	}
	// Rendered for the cluster's own version: a 1.33 API server serves no
	// MutatingAdmissionPolicy, so KKP's name is denied with the fix instead
	// of mapped; after an upgrade to 1.36 it is mapped.
	mapGVK := schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "MutatingAdmissionPolicy"}
	vapGVK := schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingAdmissionPolicy"}
	if e.userGet(t, mapGVK, "", "clusterbackup-backups-kkp-location") != nil || e.userGet(t, vapGVK, "", "clusterbackup-kkp-location") == nil {
		t.Fatal("a 1.33 cluster got the mapping MutatingAdmissionPolicy, or not the denying policy")
	}
	testenv.Must(t, e.seed.Client.Get(ctx, client.ObjectKeyFromObject(cl), cl))
	cl.Spec.Version = "1.36.1"
	testenv.Must(t, e.seed.Client.Update(ctx, cl))
	l.mustReconcile(t, id)
	l.wantPhase(t, id, PhaseApplied)
	if e.userGet(t, mapGVK, "", "clusterbackup-backups-kkp-location") == nil {
		t.Fatal("after the upgrade to 1.36 the mapping MutatingAdmissionPolicy was not applied")
	}
	// The next reconcile finds the release current (the takeover is
	// remembered in the seed's state, not re-decided).
	cl.Annotations = nil
	testenv.Must(t, e.seed.Client.Update(ctx, cl))
	l.mustReconcile(t, id)
	l.wantPhase(t, id, PhaseApplied)
}

// veleroCRDs counts the velero.io CRDs of the user cluster.
func veleroCRDs(t *testing.T, e *env) int {
	t.Helper()
	var crds unstructured.UnstructuredList
	crds.SetGroupVersionKind(crdGVK.GroupVersion().WithKind("CustomResourceDefinitionList"))
	testenv.Must(t, e.user.Client.List(context.Background(), &crds))
	n := 0
	for _, c := range crds.Items {
		if g, _, _ := unstructured.NestedString(c.Object, "spec", "group"); g == "velero.io" {
			n++
		}
	}
	return n
}

// TestStateWithoutBSLNameKeepsDefault: a cluster the loop rendered before
// it named managed BSLs as KKP does (its state has no bslName) keeps its
// managed BSL "default" after the upgrade: nothing is renamed, so Velero's
// sync deletes no listed Backup.
func TestStateWithoutBSLNameKeepsDefault(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	const ns, id = "velero-old", "old7c3k9mq"
	cbsl := newCBSL("backups-old", bucket, "old-seed")
	e.create(t, cbsl)
	e.register(t, id)
	// The state as the loop wrote it before: location and lifecycle only.
	loc, err := json.Marshal(trimCBSL(cbsl))
	testenv.Must(t, err)
	e.create(t, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: StateConfigMapPrefix + id, Namespace: DefaultStateNamespace,
			Labels: map[string]string{ClusterIDLabel: id, ManagedByLabel: ManagedByValue, ComponentLabel: ComponentState}},
		Data: map[string]string{StateKeyLifecycle: "enabled", StateKeyLocation: string(loc)},
	})
	e.create(t, newCluster(id, cbsl.Name))
	l := e.newLoop(t, Options{VeleroNamespace: ns}, Settings{})
	l.mustReconcile(t, id)
	l.wantPhase(t, id, PhaseApplied)
	if e.userGet(t, gvkBSL, ns, "default") == nil || e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName) != nil {
		t.Fatal("a cluster rendered before keeps its managed BSL default, and gets no BSL under KKP's name")
	}
	// Absent means "default": the upgrade does not even rewrite the state.
	var cm corev1.ConfigMap
	testenv.Must(t, e.seed.Client.Get(ctx, client.ObjectKey{Namespace: DefaultStateNamespace, Name: StateConfigMapPrefix + id}, &cm))
	if _, ok := cm.Data[StateKeyBSLName]; ok {
		t.Fatalf("the state was rewritten: %v", cm.Data)
	}
}
