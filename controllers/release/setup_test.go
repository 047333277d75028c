package release

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// TestSetupWithManager: run by a manager, the loop applies a Cluster's
// release when backup is enabled, with no call from the test, and a change
// of the CBSL's spec reaches the user cluster through the CBSL watch.
func TestSetupWithManager(t *testing.T) {
	e := testEnv(t)
	const id, ns = "mgr3h8c5vx", "velero-mgr"
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := manager.New(e.seed.Config, manager.Options{
		Scheme:                 kubeenv.Scheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	testenv.Must(t, err)
	o := Options{VeleroNamespace: ns, ControllerName: "release-setup-test", ResyncPeriod: duration.Of(time.Minute)}
	r, err := New(mgr.GetClient(), mgr.GetAPIReader(), newCountingClients(t, e), o, Settings{}, e.recorder, nil)
	testenv.Must(t, err)
	testenv.Must(t, r.SetupWithManager(ctx, mgr))
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	cbsl := newCBSL("backups-mgr", bucket, "mgr")
	e.register(t, id)
	e.create(t, cbsl, newCluster(id, cbsl.Name))
	region := func() string {
		u := e.userGet(t, gvkBSL, ns, kkpv1.KKPBSLName)
		if u == nil {
			return ""
		}
		v, _, _ := unstructured.NestedString(u.Object, "spec", "config", "region")
		return v
	}
	testenv.Eventually(t, 30*time.Second, "the managed BSL in the user cluster", func() (bool, error) {
		return region() == "eu-central-1" && e.userGet(t, gvkConfigMap, ns, InventoryName) != nil, nil
	})

	var cur kkpv1.ClusterBackupStorageLocation
	testenv.Must(t, e.seed.Client.Get(ctx, client.ObjectKeyFromObject(cbsl), &cur))
	cur.Spec.Config["region"] = "eu-west-1"
	testenv.Must(t, e.seed.Client.Update(ctx, &cur))
	testenv.Eventually(t, 30*time.Second, "the CBSL's new region in the managed BSL", func() (bool, error) {
		return region() == "eu-west-1", nil
	})
	testenv.Eventually(t, 10*time.Second, "state applied", func() (bool, error) {
		st, ok := r.State(id)
		return ok && st.Phase == PhaseApplied, nil
	})
}
