package credentials

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/cbslstatus"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// leaseNS is the release namespace holding the Lease, as in the chart.
const leaseNS = "clusterbackup"

// maxHandover bounds the time from stopping the leader to the other
// replica leading. The leader releases its Lease when it has stopped; the other replica retries every 2s to 4.4s
// (client-go's retry period 2s with jitter factor 1.2). Without the
// release it would wait out the 15s lease duration after the last renewal.
const maxHandover = 10 * time.Second

// replica is one controllers process of the test.
type replica struct {
	name    string
	health  string // /readyz host:port
	mgr     manager.Manager
	stop    context.CancelFunc
	stopped chan error
}

// TestLeaderElectionHandover runs two controllers processes (credentials
// and status loops, leader election on as in the seed chart) against one
// seed, whose webhooks run apart: both are ready while only one leads; only
// the leader's loops reconcile; stopping the leader hands the Lease to the
// other replica within maxHandover, and its loops then act.
func TestLeaderElectionHandover(t *testing.T) {
	ctx := context.Background()
	sd, k1 := startSeedAPI(t, "leader-key")
	k := sd.Kube
	testenv.Must(t, k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaseNS}}))
	testenv.Must(t, k.Client.Create(ctx, cbslSecret(k1)))

	a := startReplica(t, k, "a")
	select {
	case <-a.mgr.Elected():
	case <-time.After(20 * time.Second):
		t.Fatal("the first replica did not acquire the Lease")
	}
	holderA := leaseHeld(t, k.Client, leaseNS)
	b := startReplica(t, k, "b")
	for _, r := range []*replica{a, b} {
		if code := readyz(t, r.health); code != http.StatusOK {
			t.Fatalf("replica %s /readyz = %d, want 200 (leading or not)", r.name, code)
		}
	}
	for i := range 3 {
		loc := cbsl(sd.S3.Endpoint)
		if i > 0 {
			loc.Name = fmt.Sprintf("%s-%d", cbslName, i)
			loc.Spec.ObjectStorage.Prefix = loc.Name
		}
		testenv.Must(t, k.Client.Create(ctx, loc))
	}

	// Only the leader's loops act.
	loopsAct(t, k, a, "ld7r2kq9xa", "the leader")
	for _, loop := range []string{credentialsLoop, statusLoop} {
		if n := reconciles(t, b, loop); n != 0 {
			t.Fatalf("the follower's %s loop reconciled %v times, want 0", loop, n)
		}
	}
	select {
	case <-b.mgr.Elected():
		t.Fatal("both replicas lead")
	default:
	}

	// Stopping the leader hands over.
	start := time.Now()
	a.stop()
	select {
	case <-b.mgr.Elected():
	case <-time.After(2 * maxHandover):
		t.Fatalf("the follower did not lead within %s of stopping the leader", 2*maxHandover)
	}
	handover := time.Since(start)
	t.Logf("handover: %s from stopping the leader to the other replica leading", handover.Round(10*time.Millisecond))
	if handover > maxHandover {
		t.Fatalf("handover took %s, want at most %s (is the Lease released on stop?)", handover, maxHandover)
	}
	if err := <-a.stopped; err != nil {
		t.Logf("stopped leader returned: %v", err)
	}
	if h := leaseHeld(t, k.Client, leaseNS); h == holderA {
		t.Fatalf("the Lease is still held by the stopped replica %q", h)
	}

	// The new leader's loops act.
	loopsAct(t, k, b, "ld4m8vz3pc", "the new leader")
}

// loopsAct shows r's loops at work: a new Cluster id gets its Secrets in a
// new user cluster from r's credentials loop, and r's status loop checks
// the test's three CBSLs.
func loopsAct(t *testing.T, k *kubeenv.ControlPlane, r *replica, id, who string) {
	t.Helper()
	user := kubeenv.Start(t, kubeenv.Options{})
	registerUserCluster(t, k.Client, id, user)
	testenv.Must(t, k.Client.Create(context.Background(), cluster(id)))
	delivered(t, user.Client, "credentials delivered by "+who, nil)
	if n := reconciles(t, r, credentialsLoop); n == 0 {
		t.Fatalf("the credentials loop of %s did not reconcile", who)
	}
	testenv.Eventually(t, 20*time.Second, "the status loop of "+who+" checks the CBSLs", func() (bool, error) {
		return reconciles(t, r, statusLoop) >= 3, nil
	})
}

// startReplica starts a controllers process with the credentials and
// status loops (their own controller names; names are unique per process),
// leader election in leaseNS and /readyz on a free port.
func startReplica(t *testing.T, k *kubeenv.ControlPlane, name string) *replica {
	t.Helper()
	healthPort, err := testenv.FreePort()
	testenv.Must(t, err)
	r := &replica{name: name, health: net.JoinHostPort("127.0.0.1", fmt.Sprint(healthPort)), stopped: make(chan error, 1)}
	runCtx, cancel := context.WithCancel(context.Background())
	r.mgr, err = controllers.New(runCtx, k.Config, controllers.Options{
		Serving:        process.Serving{HealthAddr: r.health, MetricsAddr: "0", ShutdownTimeout: duration.Of(10 * time.Second)},
		LeaderElection: true, LeaderElectionNamespace: leaseNS,
		Check:       s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}},
		Credentials: credentials.Options{Enabled: true, ControllerName: credentialsLoop + "-" + name},
		Status:      cbslstatus.Options{Enabled: true, ControllerName: statusLoop + "-" + name},
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { r.stopped <- r.mgr.Start(runCtx) }()
	var once bool
	r.stop = func() {
		if !once {
			once = true
			cancel()
		}
	}
	t.Cleanup(func() {
		if !once {
			r.stop()
			if err := <-r.stopped; err != nil {
				t.Logf("replica %s stopped: %v", name, err)
			}
		}
	})
	if !r.mgr.GetCache().WaitForCacheSync(runCtx) {
		t.Fatalf("replica %s: cache did not sync", name)
	}
	testenv.Eventually(t, 10*time.Second, "replica "+name+" ready", func() (bool, error) {
		return readyz(t, r.health) == http.StatusOK, nil
	})
	return r
}

// readyz returns the status code of the replica's /readyz (0 when it does
// not answer).
func readyz(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// Controller names of the two loops in the test's replicas (suffixed with
// the replica's name; names are unique per process).
const credentialsLoop, statusLoop = "credentials-leader", "cbsl-status-leader"

// reconciles is how many reconciles the replica's loop has finished
// (controller-runtime's controller_runtime_reconcile_total, every result);
// a controller that never started has no series.
func reconciles(t *testing.T, r *replica, loop string) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	testenv.Must(t, err)
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "controller" && lp.GetValue() == loop+"-"+r.name {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// leaseHeld returns the holder of the seed's Lease in ns, failing when it
// is missing or held by no one.
func leaseHeld(t *testing.T, c client.Client, ns string) string {
	t.Helper()
	var l coordinationv1.Lease
	testenv.Must(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: controllers.DefaultLeaderElectionID}, &l))
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
		t.Fatalf("Lease %s/%s is held by no one", ns, l.Name)
	}
	return *l.Spec.HolderIdentity
}
