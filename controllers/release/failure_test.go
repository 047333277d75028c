package release

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/clusterbackup/clusterbackup/controllers/userclient"
)

// TestFailures: a missing kubeconfig, an unreachable API server, a missing
// or invalid CBSL give a failed state with a clear reason and one Event, and
// delete nothing: not on the seed (the state written ahead stays), not in
// the user cluster. A deleted Cluster is forgotten, its state kept.
func TestFailures(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	const ns = "velero-fail"
	cbsl := newCBSL("backups-fail", bucket, "fail")
	bad := newCBSL("backups-bad", "Bad_Bucket", "fail")
	e.create(t, cbsl, bad)
	l := e.newLoop(t, Options{VeleroNamespace: ns}, Settings{})
	stateExists := func(id string) bool {
		var cm corev1.ConfigMap
		err := e.seed.Client.Get(ctx, client.ObjectKey{Namespace: DefaultStateNamespace, Name: StateConfigMapPrefix + id}, &cm)
		return err == nil
	}

	t.Run("missing kubeconfig", func(t *testing.T) {
		const id = "nokc5t8wzq"
		e.create(t, newCluster(id, cbsl.Name))
		for range 2 {
			_, err := l.reconcile(t, id)
			if !errors.Is(err, userclient.ErrNoKubeconfig) {
				t.Fatalf("reconcile error %v, want one wrapping ErrNoKubeconfig (backoff)", err)
			}
		}
		st := l.wantPhase(t, id, PhaseFailed)
		if !strings.Contains(st.Reason, "secret cluster-"+id+"/"+userclient.DefaultSecretName) {
			t.Fatalf("reason %q does not name the Secret", st.Reason)
		}
		e.waitEvent(t, id, ReasonFailed, "admin-kubeconfig")
		if n := l.events.count(id, ReasonFailed); n != 1 {
			t.Fatalf("two identical failures recorded %d Events, want 1", n)
		}
		if !stateExists(id) {
			t.Fatal("the state written ahead is gone")
		}
		if v, ok := l.gauge(t, MetricState, map[string]string{"cluster": id, "project": projectID, "state": string(PhaseFailed)}); !ok || v != 1 {
			t.Fatalf("%s{state=failed} = %v (present %v)", MetricState, v, ok)
		}

		// The Cluster goes: forgotten, nothing deleted on the seed.
		testenv.Must(t, e.seed.Client.Delete(ctx, newCluster(id, "")))
		l.mustReconcile(t, id)
		if _, ok := l.State(id); ok || !slices.Contains(l.users.forgotten, id) {
			t.Fatalf("a deleted cluster is still known (forgotten: %v)", l.users.forgotten)
		}
		if _, ok := l.gauge(t, MetricState, map[string]string{"cluster": id, "project": projectID, "state": string(PhaseFailed)}); ok {
			t.Fatal("a deleted cluster keeps its metric series")
		}
		if !stateExists(id) {
			t.Fatal("deleting the Cluster deleted the seed's state")
		}
	})

	t.Run("unreachable API server", func(t *testing.T) {
		const id = "unr6b2n8xf"
		u, err := e.user.Env.AddUser(envtest.User{Name: "unreachable", Groups: []string{"system:masters"}}, nil)
		testenv.Must(t, err)
		kc, err := u.KubeConfig()
		testenv.Must(t, err)
		cfg, err := clientcmd.Load(kc)
		testenv.Must(t, err)
		for _, c := range cfg.Clusters {
			c.Server = "https://127.0.0.1:1"
		}
		kc, err = clientcmd.Write(*cfg)
		testenv.Must(t, err)
		e.registerKubeconfig(t, id, kc)
		e.create(t, newCluster(id, cbsl.Name))
		if _, err := l.reconcile(t, id); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Fatalf("reconcile error %v, want the unreachable address", err)
		}
		l.wantPhase(t, id, PhaseFailed)
		e.waitEvent(t, id, ReasonFailed, "127.0.0.1:1")
	})

	t.Run("missing CBSL", func(t *testing.T) {
		const id = "nocb3r7kzw"
		e.register(t, id)
		e.create(t, newCluster(id, "backups-nowhere"))
		res, err := l.reconcile(t, id)
		if err != nil || res.RequeueAfter == 0 {
			t.Fatalf("reconcile = %+v, %v; want a retry on the period (the CBSL watch brings it sooner)", res, err)
		}
		st := l.wantPhase(t, id, PhaseFailed)
		if !strings.Contains(st.Reason, "clusterbackupstoragelocation kubermatic/backups-nowhere not found") {
			t.Fatalf("reason %q", st.Reason)
		}
		if stateExists(id) || l.users.count(id).reads.Load() != 0 {
			t.Fatal("a cluster without its CBSL got a state or was read")
		}
	})

	t.Run("invalid CBSL", func(t *testing.T) {
		const id = "inv9d4p2mc"
		e.register(t, id)
		e.create(t, newCluster(id, bad.Name))
		if _, err := l.reconcile(t, id); err != nil {
			t.Fatal(err)
		}
		st := l.wantPhase(t, id, PhaseFailed)
		if !strings.Contains(st.Reason, "spec.objectStorage.bucket") || !strings.Contains(st.Reason, "nothing applied") {
			t.Fatalf("reason %q lacks the renderer's message", st.Reason)
		}
		e.waitEvent(t, id, ReasonFailed, "spec.objectStorage.bucket")
		if stateExists(id) || e.userGet(t, gvkNamespace, "", ns) != nil {
			t.Fatal("an invalid CBSL was remembered or applied")
		}
	})
}
