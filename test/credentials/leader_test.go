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

	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
	"github.com/clusterbackup/clusterbackup/webhook/seed/credentials"
	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// leaseNS is the release namespace holding the Lease, as in the chart.
const leaseNS = "clusterbackup"

// maxHandover bounds the time from stopping the leader to the other
// replica leading. The leader releases its Lease when it has stopped,
// after its 3s drain; the other replica retries every 2s to 4.4s
// (client-go's retry period 2s with jitter factor 1.2). Without the
// release it would wait out the 15s lease duration after the last renewal.
const maxHandover = 10 * time.Second

// replica is one seed process of the test.
type replica struct {
	name    string
	addr    string // webhook host:port
	health  string // /readyz host:port
	mgr     manager.Manager
	stop    context.CancelFunc
	stopped chan error
}

// TestLeaderElectionHandover runs two seed processes (webhooks and the
// credentials loop, leader election on as in the chart) against one
// kube-apiserver: both admit CBSL creates sent through the API server and
// are ready while only one leads; only the leader's credentials and status
// loops reconcile; stopping the leader hands the Lease to the other replica
// within maxHandover, and its loop then delivers a new Cluster's Secrets.
func TestLeaderElectionHandover(t *testing.T) {
	ctx := context.Background()
	k, s3, k1 := startSeedAPI(t, "leader-key")
	for _, ns := range []string{leaseNS, cbslNS} {
		must(t, k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	must(t, k.Client.Create(ctx, cbslSecret(k1)))

	wo := k.Env.WebhookInstallOptions
	a := startReplica(t, k, "a")
	sw := startSwitch(t, net.JoinHostPort(wo.LocalServingHost, fmt.Sprint(wo.LocalServingPort)), a.addr)
	select {
	case <-a.mgr.Elected():
	case <-time.After(20 * time.Second):
		t.Fatal("the first replica did not acquire the Lease")
	}
	holderA := leaseHeld(t, k.Client, leaseNS)
	b := startReplica(t, k, "b")

	// Webhooks and readiness on both: each admits a CBSL create sent
	// through the API server, the follower too.
	for i, r := range []*replica{a, b} {
		sw.route(r.addr)
		time.Sleep(300 * time.Millisecond) // let the API server see its old connections closed
		loc := cbsl(s3.Endpoint)
		loc.Name = fmt.Sprintf("%s-%d", cbslName, i)
		loc.Spec.ObjectStorage.Prefix = loc.Name
		must(t, k.Client.Create(ctx, loc))
		if sw.connections(r.addr) == 0 {
			t.Fatalf("replica %s admitted the CBSL create without a connection from the API server", r.name)
		}
		if code := readyz(t, r.health); code != http.StatusOK {
			t.Fatalf("replica %s /readyz = %d, want 200 (leading or not)", r.name, code)
		}
	}
	must(t, k.Client.Create(ctx, cbsl(s3.Endpoint)))

	// Only the leader's loop acts.
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

	// The new leader's loop acts: a new Cluster gets its Secrets, and the
	// Cluster create is admitted by the remaining replica.
	sw.route(b.addr)
	time.Sleep(300 * time.Millisecond)
	loopsAct(t, k, b, "ld4m8vz3pc", "the new leader")
}

// loopsAct shows r's loops at work: a new Cluster id gets its Secrets in a
// new user cluster from r's credentials loop, and r's status loop checks
// the test's three CBSLs.
func loopsAct(t *testing.T, k *testenv.Kube, r *replica, id, who string) {
	t.Helper()
	user := testenv.StartKube(t, testenv.KubeOptions{})
	registerUserCluster(t, k.Client, id, user)
	must(t, k.Client.Create(context.Background(), cluster(id)))
	delivered(t, user.Client, "credentials delivered by "+who, nil)
	if n := reconciles(t, r, credentialsLoop); n == 0 {
		t.Fatalf("the credentials loop of %s did not reconcile", who)
	}
	testenv.Eventually(t, 20*time.Second, "the status loop of "+who+" checks the CBSLs", func() (bool, error) {
		return reconciles(t, r, statusLoop) >= 3, nil
	})
}

// startReplica starts a seed process with the credentials loop (its own
// controller name; names are unique per process) and leader election in
// leaseNS, the webhook server on a free port with envtest's serving
// certificate, and /readyz on another; it drains for 3s on stop, as the
// webhook command does.
func startReplica(t *testing.T, k *testenv.Kube, name string) *replica {
	t.Helper()
	wo := k.Env.WebhookInstallOptions
	port, err := testenv.FreePort()
	must(t, err)
	healthPort, err := testenv.FreePort()
	must(t, err)
	r := &replica{name: name, addr: net.JoinHostPort(wo.LocalServingHost, fmt.Sprint(port)), health: net.JoinHostPort("127.0.0.1", fmt.Sprint(healthPort)), stopped: make(chan error, 1)}
	runCtx, cancel := context.WithCancel(context.Background())
	r.mgr, err = server.New(runCtx, k.Config, server.Options{
		Mode: server.ModeSeed, Host: wo.LocalServingHost, Port: port, CertDir: wo.LocalServingCertDir,
		HealthAddr: r.health, MetricsAddr: "0",
		ShutdownTimeout: metav1.Duration{Duration: 10 * time.Second}, DrainPeriod: metav1.Duration{Duration: 3 * time.Second},
		LeaderElection: true, LeaderElectionNamespace: leaseNS,
		Seed: seed.Options{
			CachedSecrets:        true,
			Check:                s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}},
			Credentials:          credentials.Options{Enabled: true, ControllerName: credentialsLoop + "-" + name},
			StatusLoop:           true,
			StatusControllerName: statusLoop + "-" + name,
		},
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
			<-r.stopped
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
	must(t, err)
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
	must(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: server.DefaultLeaderElectionID}, &l))
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
		t.Fatalf("Lease %s/%s is held by no one", ns, l.Name)
	}
	return *l.Spec.HolderIdentity
}
