package release

import (
	"context"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestDisableAndReEnable: clearing the Cluster's backup location applies the
// disabled release of the remembered location — Velero and node-agent go,
// the Schedule is paused, the CRDs, Namespace, BSL (read-only) and a Backup
// made before stay — and setting it again brings the enabled release back
// with the same Backup.
func TestDisableAndReEnable(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	const id, ns = "dis7c4m2kq", "velero-disable"
	cbsl := newCBSL("backups-dis", bucket, "dis")
	e.create(t, cbsl, newCluster(id, cbsl.Name))
	e.register(t, id)
	s := Settings{Options: renderer.Options{Schedules: map[string]renderer.Schedule{"daily": {Schedule: "0 1 * * *"}}}}
	l := e.newLoop(t, Options{VeleroNamespace: ns}, s)
	l.mustReconcile(t, id)
	backup := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": "before-disable", "namespace": ns},
		"spec":     map[string]any{"storageLocation": kkpv1.KKPBSLName, "ttl": "720h0m0s"},
	}}
	testenv.Must(t, e.user.Client.Create(ctx, backup))
	setBackup := func(name string) {
		t.Helper()
		var c kkpv1.Cluster
		testenv.Must(t, e.seed.Client.Get(ctx, client.ObjectKey{Name: id}, &c))
		c.Spec.BackupConfig = nil
		if name != "" {
			c.Spec.BackupConfig = &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: name}}
		}
		testenv.Must(t, e.seed.Client.Update(ctx, &c))
	}
	kept := func(t *testing.T) {
		t.Helper()
		for _, k := range []struct {
			what string
			u    *unstructured.Unstructured
		}{
			{"the CRD of Backups", e.userGet(t, crdGVK, "", "backups.velero.io")},
			{"the Namespace", e.userGet(t, gvkNamespace, "", ns)},
			{"the BSL", e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName)},
			{"the Schedule", e.userGet(t, gvkSchedule, ns, "daily")},
		} {
			if k.u == nil {
				t.Fatalf("%s is gone", k.what)
			}
		}
		b := e.userGet(t, gvkBackup, ns, "before-disable")
		if b == nil || b.GetUID() != backup.GetUID() {
			t.Fatal("the Backup made before is gone")
		}
	}
	field := func(gvkObj *unstructured.Unstructured, path ...string) any {
		if gvkObj == nil {
			return nil
		}
		v, _, _ := unstructured.NestedFieldNoCopy(gvkObj.Object, path...)
		return v
	}

	setBackup("")
	l.mustReconcile(t, id)
	t.Run("disabled: workloads gone, Schedule paused, backups kept", func(t *testing.T) {
		l.wantPhase(t, id, PhaseDisabled)
		if e.userGet(t, gvkDeployment, ns, "velero") != nil || e.userGet(t, gvkDaemonSet, ns, "node-agent") != nil {
			t.Fatal("Velero or node-agent still runs")
		}
		kept(t)
		if p := field(e.userGet(t, gvkSchedule, ns, "daily"), "spec", "paused"); p != true {
			t.Fatalf("Schedule paused = %v", p)
		}
		if m := field(e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName), "spec", "accessMode"); m != "ReadOnly" {
			t.Fatalf("BSL accessMode = %v", m)
		}
		e.waitEvent(t, id, ReasonDisabled, "Velero and node-agent removed")
		e.waitEvent(t, id, ReasonPruned, "Deployment "+ns+"/velero", "DaemonSet "+ns+"/node-agent")
		if v, ok := l.gauge(t, MetricState, map[string]string{"cluster": id, "project": projectID, "state": string(PhaseDisabled)}); !ok || v != 1 {
			t.Fatalf("%s{state=disabled} = %v (present %v)", MetricState, v, ok)
		}
		st, _ := l.State(id)
		wantRecorded(t, e, id, PhaseDisabled, st.VeleroVersion)
		n := l.users.count(id)
		n.reset()
		l.mustReconcile(t, id)
		if n.reads.Load() != 1 || n.writes.Load() != 0 {
			t.Fatalf("a resync of the disabled release sent %d reads, %d writes", n.reads.Load(), n.writes.Load())
		}
	})

	setBackup(cbsl.Name)
	l.mustReconcile(t, id)
	t.Run("re-enabled: Velero back, the same Backup listed", func(t *testing.T) {
		l.wantPhase(t, id, PhaseApplied)
		if e.userGet(t, gvkDeployment, ns, "velero") == nil || e.userGet(t, gvkDaemonSet, ns, "node-agent") == nil {
			t.Fatal("Velero or node-agent did not come back")
		}
		kept(t)
		if p := field(e.userGet(t, gvkSchedule, ns, "daily"), "spec", "paused"); p == true {
			t.Fatal("the Schedule is still paused")
		}
		if m := field(e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName), "spec", "accessMode"); m == "ReadOnly" {
			t.Fatal("the BSL is still read-only")
		}
		e.waitEvent(t, id, ReasonApplied, "applied Velero")
		st, _ := l.State(id)
		wantRecorded(t, e, id, PhaseApplied, st.VeleroVersion)
	})
}

// TestNeverEnabled: a Cluster that never had backup gets no state, no
// request to its user cluster and no periodic resync (the Cluster watch
// sees backup enabled).
func TestNeverEnabled(t *testing.T) {
	e := testEnv(t)
	const id = "none2f6hqv"
	e.register(t, id)
	e.create(t, newCluster(id, ""))
	l := e.newLoop(t, Options{VeleroNamespace: "velero-none"}, Settings{})
	res, err := l.reconcile(t, id)
	if err != nil || res.RequeueAfter != 0 {
		t.Fatalf("reconcile = %+v, %v", res, err)
	}
	if _, ok := l.State(id); ok || l.users.count(id).reads.Load() != 0 || l.events.total(id) != 0 {
		t.Fatal("a cluster without backup got a state, a request or an Event")
	}
	var cm corev1.ConfigMap
	if err := e.seed.Client.Get(context.Background(), client.ObjectKey{Namespace: DefaultStateNamespace, Name: StateConfigMapPrefix + id}, &cm); err == nil {
		t.Fatal("a cluster without backup got a state ConfigMap")
	}
}

// wantRecorded fails unless the cluster's state ConfigMap on the seed
// records phase and version in its annotations (what fleet status shows).
func wantRecorded(t *testing.T, e *env, id string, phase Phase, version string) {
	t.Helper()
	var cm corev1.ConfigMap
	testenv.Must(t, e.seed.Client.Get(context.Background(), client.ObjectKey{Namespace: DefaultStateNamespace, Name: StateConfigMapPrefix + id}, &cm))
	if a := cm.Annotations; a[StateAnnotation] != string(phase) || a[StateVeleroVersionAnnotation] != version || version == "" {
		t.Fatalf("state configmap annotations %v, want %s=%s and %s=%s", a, StateAnnotation, phase, StateVeleroVersionAnnotation, version)
	}
}
