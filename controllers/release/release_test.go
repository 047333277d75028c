package release

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/versions"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// renderConfig is the seed's render configuration in the tests: the Argo
// CD marker file format, with a setting that shows in the objects.
const renderConfig = `apiVersion: clusterbackup.io/v1alpha1
kind: RenderConfig
spec:
  registry: registry.example.com/mirror
`

// TestReleaseEqualsRender: enabling backup on a Cluster is the only step;
// the loop applies what the renderer renders for the same Cluster, CBSL and
// RenderConfig (the objects the Argo CD plugin and the KRM function give),
// object by object, CRDs first into a user cluster that had none; a resync
// with nothing changed costs exactly one GET and no write; and objects the
// render drops are pruned, except kept kinds and objects marked keep.
func TestReleaseEqualsRender(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	const id, ns = "r7tqz9d2wk", DefaultVeleroNamespace
	cbsl := newCBSL("backups-eu", bucket, "seed-eu")
	e.create(t, cbsl.DeepCopy(), newCluster(id, cbsl.Name))
	e.register(t, id)
	s, err := ParseSettings("seed.yaml", []byte(renderConfig))
	testenv.Must(t, err)
	l := e.newLoop(t, Options{}, s)

	if e.veleroCRDsAtStart != 0 {
		t.Fatalf("the user cluster started with %d Velero CRDs; the test needs none", e.veleroCRDsAtStart)
	}
	l.mustReconcile(t, id)
	st := l.wantPhase(t, id, PhaseApplied)
	if st.VeleroVersion != versions.Velero || st.CBSL != cbsl.Name || st.Project != projectID || st.LastSuccess.IsZero() {
		t.Fatalf("state %+v", st)
	}

	// The reference: the same RenderConfig through the render settings
	// type, the renderer on its own.
	var p settings.Params
	testenv.Must(t, p.ApplyConfig("render-config.yaml", []byte(renderConfig), false))
	opts, err := p.Options()
	testenv.Must(t, err)
	rn, err := renderer.New(opts)
	testenv.Must(t, err)
	// The loop names the managed BSL of a cluster it enables first as KKP
	// does, from its per-cluster state (like the previous locations); the
	// CLI renders the chart's default name.
	in := renderer.Input{Cluster: newCluster(id, cbsl.Name), CBSL: cbsl}
	res, err := rn.RenderLifecycle(ctx, in, renderer.Lifecycle{BSLName: kkpv1.KKPBSLName})
	testenv.Must(t, err)
	want, err := res.Objects()
	testenv.Must(t, err)
	cliRes, err := rn.Render(ctx, in)
	testenv.Must(t, err)
	cliWant, err := cliRes.Objects()
	testenv.Must(t, err)

	t.Run("what lands equals the render, object by object", func(t *testing.T) {
		crds := 0
		for _, w := range want {
			if w.GroupVersionKind() == crdGVK {
				crds++
			}
			got := e.userGet(t, w.GroupVersionKind(), w.GetNamespace(), w.GetName())
			if got == nil {
				t.Errorf("%s is missing in the user cluster", describe(w))
				continue
			}
			// Status is the API server's: server-side apply ignores it (the
			// generated CRDs carry an empty one).
			delete(w.Object, "status")
			for _, d := range subsetDiff(describe(w), w.Object, got.Object) {
				t.Error(d)
			}
			if !managedBy(got, DefaultFieldManager) {
				t.Errorf("%s has no fields of field manager %s", describe(w), DefaultFieldManager)
			}
			if _, ok := got.GetLabels()[ComponentLabel]; ok && w.GetLabels()[ComponentLabel] == "" {
				t.Errorf("%s carries a label the render does not", describe(w))
			}
		}
		if crds != 13 {
			t.Errorf("the render holds %d CRDs, want Velero's 13", crds)
		}
		dep := e.userGet(t, gvkDeployment, ns, "velero")
		img, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
		if len(img) == 0 || !strings.HasPrefix(img[0].(map[string]any)["image"].(string), "registry.example.com/mirror/") {
			t.Errorf("the Velero image does not come from the configured registry: %v", img)
		}
	})

	t.Run("the render equals the CLI's for the same objects and settings", func(t *testing.T) {
		// `clusterbackup render` with the flag that matches the
		// RenderConfig: what lands is a superset of `want` (above), and
		// `want` is exactly what an operator's CLI render shows, but for
		// the managed BSL's name.
		dir := t.TempDir()
		c, l := newCluster(id, cbsl.Name), cbsl.DeepCopy()
		c.APIVersion, c.Kind = kkpv1.GroupVersion.String(), kkpv1.KindCluster
		l.APIVersion, l.Kind = kkpv1.GroupVersion.String(), kkpv1.KindClusterBackupStorageLocation
		for name, obj := range map[string]any{"cluster.yaml": c, "cbsl.yaml": l} {
			b, err := yaml.Marshal(obj)
			testenv.Must(t, err)
			testenv.Must(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
		}
		cmd := exec.Command(testenv.Binary(t), "render", "-f", dir, "--registry", "registry.example.com/mirror")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("clusterbackup render: %v\n%s", err, stderr.String())
		}
		cli, err := renderer.DecodeObjects(bytes.NewReader(out))
		testenv.Must(t, err)
		testenv.CompareObjectSets(t, "CLI render vs the loop's render (the chart's BSL name)", canonical(t, cli), canonical(t, cliWant))
	})

	t.Run("the inventory parent lists every object and the digest", func(t *testing.T) {
		parent := e.userGet(t, gvkConfigMap, ns, InventoryName)
		if parent == nil {
			t.Fatal("no inventory parent")
		}
		digest, err := Digest(res)
		testenv.Must(t, err)
		a := parent.GetAnnotations()
		if a[DigestAnnotation] != digest || a[VeleroVersionAnnotation] != versions.Velero || a[FieldManagerAnnotation] != DefaultFieldManager || a[AppliedAtAnnotation] == "" {
			t.Fatalf("inventory annotations %v, want digest %s", a, digest)
		}
		lines, _, _ := unstructured.NestedString(parent.Object, "data", InventoryKey)
		for _, w := range want {
			if !strings.Contains(lines, refOf(w).String()+"\n") {
				t.Errorf("the inventory lacks %s", refOf(w))
			}
		}
		if got := strings.Count(lines, "\n"); got != len(want) {
			t.Errorf("the inventory lists %d objects, the render %d", got, len(want))
		}
		e.waitEvent(t, id, ReasonApplied, "applied Velero "+versions.Velero, cbsl.Name)
		if v, ok := l.gauge(t, MetricState, map[string]string{"cluster": id, "project": projectID, "state": string(PhaseApplied)}); !ok || v != 1 {
			t.Errorf("%s{state=applied} = %v (present %v), want 1", MetricState, v, ok)
		}
		if v, ok := l.gauge(t, MetricVeleroVersion, map[string]string{"cluster": id, "version": versions.Velero}); !ok || v != 1 {
			t.Errorf("%s = %v (present %v), want 1", MetricVeleroVersion, v, ok)
		}
		wantRecorded(t, e, id, PhaseApplied, versions.Velero)
	})

	t.Run("a resync with nothing changed reads one object and writes nothing", func(t *testing.T) {
		n := l.users.count(id)
		n.reset()
		before := l.events.total(id)
		var state corev1.ConfigMap
		stateKey := client.ObjectKey{Namespace: DefaultStateNamespace, Name: StateConfigMapPrefix + id}
		testenv.Must(t, e.seed.Client.Get(ctx, stateKey, &state))
		l.mustReconcile(t, id)
		if r, w := n.reads.Load(), n.writes.Load(); r != 1 || w != 0 {
			t.Fatalf("the resync sent %d reads and %d writes to the user cluster, want 1 and 0: %s", r, w, n)
		}
		l.wantPhase(t, id, PhaseApplied)
		var again corev1.ConfigMap
		testenv.Must(t, e.seed.Client.Get(ctx, stateKey, &again))
		if again.ResourceVersion != state.ResourceVersion {
			t.Fatal("the resync rewrote the seed's state")
		}
		// A restarted process (a new leader) costs the same and records no
		// Event for finding the release current.
		l2 := e.newLoop(t, Options{}, s)
		l2.mustReconcile(t, id)
		n2 := l2.users.count(id)
		t.Logf("a new process: %s", n2)
		if r, w := n2.reads.Load(), n2.writes.Load(); w != 0 || r > 3 {
			t.Fatalf("a new process sent %d reads and %d writes, want at most 3 (API discovery, /api and /apis, once per client, and the inventory) and 0: %s", r, w, n2)
		}
		l2.wantPhase(t, id, PhaseApplied)
		if after := l.events.total(id) + l2.events.total(id); after != before {
			t.Fatalf("finding the release current recorded %d Event(s)", after-before)
		}
	})

	t.Run("objects the render drops are pruned, kept kinds and keep marks are not", func(t *testing.T) {
		withSchedules := s
		withSchedules.Options.Schedules = map[string]renderer.Schedule{"daily": {Schedule: "0 1 * * *"}, "weekly": {Schedule: "0 2 * * 0"}}
		e.newLoop(t, Options{}, withSchedules).mustReconcile(t, id)
		for _, n := range []string{"daily", "weekly"} {
			if e.userGet(t, gvkSchedule, ns, n) == nil {
				t.Fatalf("Schedule %s was not applied", n)
			}
		}
		// Someone marks one Schedule keep in the user cluster.
		patch := []byte(`{"metadata":{"annotations":{"` + KeepAnnotation + `":"` + KeepValue + `"}}}`)
		weekly := e.userGet(t, gvkSchedule, ns, "weekly")
		testenv.Must(t, e.user.Client.Patch(ctx, weekly, client.RawPatch(types.MergePatchType, patch)))

		// A new process, with nodeAgent=false and without the Schedules.
		s2, err := ParseSettings("seed.yaml", []byte(renderConfig+"  nodeAgent: \"false\"\n"))
		testenv.Must(t, err)
		l3 := e.newLoop(t, Options{}, s2)
		l3.mustReconcile(t, id)
		for _, gone := range []struct {
			what string
			u    *unstructured.Unstructured
		}{
			{"the node-agent DaemonSet", e.userGet(t, gvkDaemonSet, ns, "node-agent")},
			{"Schedule daily", e.userGet(t, gvkSchedule, ns, "daily")},
		} {
			if gone.u != nil {
				t.Errorf("%s was not pruned", gone.what)
			}
		}
		for _, kept := range []struct {
			what string
			u    *unstructured.Unstructured
		}{
			{"Schedule weekly (marked keep)", e.userGet(t, gvkSchedule, ns, "weekly")},
			{"the managed BSL", e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName)},
			{"the Namespace", e.userGet(t, gvkNamespace, "", ns)},
			{"the Deployment", e.userGet(t, gvkDeployment, ns, "velero")},
			{"a CRD", e.userGet(t, crdGVK, "", "backups.velero.io")},
		} {
			if kept.u == nil {
				t.Errorf("%s is gone", kept.what)
			}
		}
		e.waitEvent(t, id, ReasonPruned, "DaemonSet "+ns+"/node-agent", "Schedule "+ns+"/daily")
		lines, _, _ := unstructured.NestedString(e.userGet(t, gvkConfigMap, ns, InventoryName).Object, "data", InventoryKey)
		if strings.Contains(lines, "/Schedule/") || strings.Contains(lines, "/DaemonSet/") {
			t.Errorf("the inventory still lists dropped objects:\n%s", lines)
		}
	})
}

// canonical keys objects by identity, valued by their JSON encoding
// without status (the API server's; the first subtest drops the CRDs'
// empty one from want).
func canonical(t *testing.T, objs []*unstructured.Unstructured) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range objs {
		o = o.DeepCopy()
		delete(o.Object, "status")
		b, err := json.Marshal(o.Object)
		testenv.Must(t, err)
		out[describe(o)] = string(b)
	}
	return out
}
