//go:build seedbench

package seedscale

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/rollout"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// Benchmark size, overridable: SEED_BENCH_CLUSTERS (1000), SEED_BENCH_BACKENDS
// (4 kube-apiservers), SEED_BENCH_RESYNC (60s).
func env(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

const (
	project  = "benchp7k2q"
	veleroNS = "velero"
	stateNS  = "kubermatic"
)

// TestSeedScale measures one `clusterbackup controllers` process (the
// built binary, as a subprocess, so its RSS is its own) running the
// release loop, the credentials loop and rollout waves against a real
// seed kube-apiserver holding N backup-enabled Clusters, whose user
// clusters are served by a few real kube-apiservers through mux (each
// cluster its own path, namespace and cluster-scoped names; counted).
// A stand-in per backend writes workload and BSL status (no
// controller-manager, no node, no Velero there). Figures are logged as
// "seedscale:" lines.
func TestSeedScale(t *testing.T) {
	n, nb, resync := env("SEED_BENCH_CLUSTERS", 1000), env("SEED_BENCH_BACKENDS", 4), time.Duration(env("SEED_BENCH_RESYNC", 60))*time.Second
	ctx := context.Background()
	start := time.Now()
	seed := kubeenv.Start(t, kubeenv.Options{})
	testenv.Must(t, seed.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: stateNS}}))
	s3 := s3env.Start(t)
	testenv.Must(t, s3.CreateBucket(ctx, "fleet"))
	cbsl, secret := s3env.Location(s3, "fleet", "fleet", "seed", project)
	testenv.Must(t, seed.Client.Create(ctx, secret))
	testenv.Must(t, seed.Client.Create(ctx, cbsl))

	var backends []*rest.Config
	for range nb {
		k := kubeenv.Start(t, kubeenv.Options{CRDDirs: []string{}})
		backends = append(backends, k.Config)
		kubeenv.StartStandIn(t, k.Client, "", true, time.Second)
	}
	m := startMux(t, backends, veleroNS)
	logf(t, "control planes: seed + %d user kube-apiservers, versitygw: %s", nb, time.Since(start).Round(time.Second))

	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench%05d", i)
	}
	t0 := time.Now()
	parallel(t, 8, ids, func(id string) error {
		ns := userclient.DefaultNamespacePrefix + id
		if err := seed.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
		if err := seed.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: userclient.DefaultSecretName, Namespace: ns},
			Data: map[string][]byte{userclient.DefaultSecretKey: kubeconfig(t, m, id)}}); err != nil {
			return err
		}
		return seed.Client.Create(ctx, &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
			Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl.Name}}}})
	})
	logf(t, "seed objects: %d Clusters, namespaces and kubeconfig Secrets created in %s", n, time.Since(t0).Round(time.Second))

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "render-config.yaml")
	testenv.Must(t, os.WriteFile(cfgFile, []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: {}\n"), 0o600))
	seedKC := adminKubeconfig(t, seed)
	args := func(extra ...string) []string {
		return append([]string{"controllers", "--health-addr", "0", "--cbsl-check-allow-cidr", "127.0.0.1/32",
			"--release-loop", "--release-render-config", cfgFile, "--release-resync-period", resync.String(),
			"--credentials-loop", "--credentials-resync-period", resync.String(),
			"--rollout", "--rollout-canary", "1%", "--rollout-batch-size", "100", "--rollout-deadline", "10m", "--rollout-poll", "1s"}, extra...)
	}

	// 1. First start: every cluster gets its release and credentials.
	p := startController(t, seedKC, args())
	t0 = time.Now()
	waitMetric(t, p, 30*time.Minute, `clusterbackup_release_applies_total{result="applied"}`, float64(n))
	logf(t, "first apply of %d releases (CRDs, %s, credentials): %s, CPU %.0f s; %s", n, "workloads", time.Since(t0).Round(time.Second), cpuSeconds(t, p.cmd.Process.Pid), load())
	waitMetricSum(t, p, 10*time.Minute, "clusterbackup_cluster_credentials_syncs_total", float64(n))
	logf(t, "credentials delivered to %d clusters after %s", n, time.Since(t0).Round(time.Second))

	// 2. Steady state: one resync period and a tenth, counted at the mux.
	time.Sleep(resync / 2) // let retries and first resyncs settle
	m.reset()
	before := metric(t, p, `clusterbackup_release_applies_total{result="unchanged"}`)
	cpu0 := cpuSeconds(t, p.cmd.Process.Pid)
	window := resync + resync/10 + 2*time.Second
	time.Sleep(window)
	after := metric(t, p, `clusterbackup_release_applies_total{result="unchanged"}`)
	cpu := cpuSeconds(t, p.cmd.Process.Pid) - cpu0
	tot := m.totals()
	var reads, writes, maxPer int64
	missed := 0
	for _, id := range ids {
		c := tot[id]
		reads, writes = reads+c[0], writes+c[1]
		maxPer = max(maxPer, c[0]+c[1])
		if c[0]+c[1] == 0 {
			missed++
		}
	}
	periods := float64(window) / float64(resync)
	logf(t, "steady state over %s (resync %s): %d release resyncs found current; requests to user clusters: %d reads, %d writes, %.2f per cluster (max %d), %.2f per cluster and resync period of both loops, %d clusters not resynced",
		window, resync, int(after-before), reads, writes, float64(reads+writes)/float64(n), maxPer, float64(reads+writes)/float64(n)/periods, missed)
	rss, hwm := memory(t, p.cmd.Process.Pid)
	logf(t, "steady-state requests by kind: %s", m.byKind())
	logf(t, "steady-state CPU of the controllers process: %.1f s over %s, %.1f s per resync period (%.1f ms per cluster and resync of both loops); %s",
		cpu, window, cpu*float64(resync)/float64(window), 1000*cpu*float64(resync)/float64(window)/float64(n), load())
	logf(t, "controllers process memory with %d user-cluster clients cached: RSS %d MiB, peak %d MiB", n, rss>>10, hwm>>10)

	// 2b. A new process, nothing changed: its first pass over every cluster
	// is a full resync (new clients included); then one period with the
	// client cache bounded to a quarter of the clusters.
	p.stop()
	bound := max(n/4, 1)
	m.reset()
	p = startController(t, seedKC, args("--user-cluster-max-clients", strconv.Itoa(bound)))
	t0 = time.Now()
	waitMetric(t, p, 30*time.Minute, `clusterbackup_release_applies_total{result="unchanged"}`, float64(n))
	full := time.Since(t0)
	cpu = cpuSeconds(t, p.cmd.Process.Pid)
	reads, writes = 0, 0
	for _, c := range m.totals() {
		reads, writes = reads+c[0], writes+c[1]
	}
	logf(t, "full resync by a new process (nothing changed, %d clusters found current): %s, CPU %.1f s (start-up and cache sync included); %d reads, %d writes to user clusters; %s",
		n, full.Round(time.Second), cpu, reads, writes, load())
	m.reset()
	cpu0 = cpuSeconds(t, p.cmd.Process.Pid)
	time.Sleep(window)
	cpu = cpuSeconds(t, p.cmd.Process.Pid) - cpu0
	reads, writes = 0, 0
	for _, c := range m.totals() {
		reads, writes = reads+c[0], writes+c[1]
	}
	rss, hwm = memory(t, p.cmd.Process.Pid)
	logf(t, "client cache bounded to %d (--user-cluster-max-clients): RSS %d MiB, peak %d MiB; over %s: CPU %.1f s, %d reads, %d writes to user clusters (%.2f per cluster; by kind: %s); %s",
		bound, rss>>10, hwm>>10, window, cpu, reads, writes, float64(reads+writes)/float64(n), m.byKind(), load())

	// 3. A new process with a changed configuration: waves.
	p.stop()
	testenv.Must(t, os.WriteFile(cfgFile, []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  nodeAgent: false\n"), 0o600))
	m.reset()
	p = startController(t, seedKC, args())
	t0 = time.Now()
	waves := watchRollout(t, seed, 60*time.Minute)
	total := time.Since(t0)
	tot = m.totals()
	reads, writes = 0, 0
	for _, c := range tot {
		reads, writes = reads+c[0], writes+c[1]
	}
	logf(t, "rollout of one change (nodeAgent: false) to %d clusters, canary 1%%, batches of 100: complete in %s, %d waves; %d reads, %d writes to user clusters; CPU %.0f s; %s", n, total.Round(time.Second), len(waves), reads, writes, cpuSeconds(t, p.cmd.Process.Pid), load())
	logf(t, "rollout requests by kind: %s", m.byKind())
	for _, w := range waves {
		logf(t, "  wave %d: %d clusters, %s", w.wave, w.size, w.took.Round(100*time.Millisecond))
	}
	rss, hwm = memory(t, p.cmd.Process.Pid)
	logf(t, "controllers process memory after the rollout: RSS %d MiB, peak %d MiB", rss>>10, hwm>>10)
	p.stop()
}

// controller is a running controllers process.
type controller struct {
	cmd     *exec.Cmd
	metrics string
	log     string
	done    chan struct{}
}

// startController starts the controllers process with the seed's
// kubeconfig in $KUBECONFIG, as in a pod (in-cluster config): the process
// then relies on the API server's priority and fairness, with no
// client-side rate limit (client-go's default of 5 requests per second
// applies to a --kubeconfig file only).
func startController(t *testing.T, kubeconfig string, args []string) *controller {
	t.Helper()
	port, err := testenv.FreePort()
	testenv.Must(t, err)
	c := &controller{metrics: "127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{}), log: filepath.Join(t.TempDir(), "controllers.log")}
	f, err := os.Create(c.log)
	testenv.Must(t, err)
	c.cmd = exec.Command(testenv.Binary(t), append(args, "--metrics-addr", c.metrics)...)
	c.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	c.cmd.Stdout, c.cmd.Stderr = f, f
	testenv.Must(t, c.cmd.Start())
	go func() { _ = c.cmd.Wait(); _ = f.Close(); close(c.done) }()
	t.Cleanup(c.stop)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(c.log)
			t.Logf("controllers log (tail):\n%s", testenv.Tail(string(b), 40))
		}
	})
	return c
}

func (c *controller) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(40 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// scrape returns every sample line of the process's /metrics.
func scrape(c *controller) map[string]float64 {
	resp, err := http.Get("http://" + c.metrics + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(l[i+1:], 64); err == nil {
			out[l[:i]] = v
		}
	}
	return out
}

func metric(t *testing.T, c *controller, series string) float64 {
	t.Helper()
	return scrape(c)[series]
}

func waitMetric(t *testing.T, c *controller, timeout time.Duration, series string, want float64) {
	t.Helper()
	last := time.Now()
	testenv.Eventually(t, timeout, series, func() (bool, error) {
		v := scrape(c)[series]
		if time.Since(last) > time.Minute {
			last = time.Now()
			logf(t, "  progress: %s = %v of %v", series, v, want)
		}
		return v >= want, fmt.Errorf("%s = %v, want %v", series, v, want)
	})
}

// waitMetricSum waits until the samples of a metric (every label set) sum to want.
func waitMetricSum(t *testing.T, c *controller, timeout time.Duration, name string, want float64) {
	t.Helper()
	testenv.Eventually(t, timeout, name, func() (bool, error) {
		var sum float64
		for k, v := range scrape(c) {
			if k == name || strings.HasPrefix(k, name+"{") {
				sum += v
			}
		}
		return sum >= want, fmt.Errorf("%s sums to %v, want %v", name, sum, want)
	})
}

// wave is one wave of a rollout as seen on the seed.
type wave struct {
	wave, size int
	took       time.Duration
}

// watchRollout follows the rollout state ConfigMap until complete.
func watchRollout(t *testing.T, seed *kubeenv.ControlPlane, timeout time.Duration) []wave {
	t.Helper()
	var out []wave
	cur, curSize := -1, 0
	var since time.Time
	deadline := time.Now().Add(timeout)
	sawProgress := false
	for time.Now().Before(deadline) {
		var cm corev1.ConfigMap
		if err := seed.Client.Get(context.Background(), client.ObjectKey{Namespace: stateNS, Name: rollout.StateConfigMapName}, &cm); err == nil {
			d := cm.Data
			w, _ := strconv.Atoi(d["wave"])
			members := 0
			if d["members"] != "" {
				members = len(strings.Split(d["members"], ","))
			}
			switch rollout.Phase(d["phase"]) {
			case rollout.PhaseHalted:
				t.Fatalf("rollout halted: %s", d["failures"])
			case rollout.PhaseProgressing:
				sawProgress = true
				if members > 0 && w != cur {
					if cur >= 0 {
						out = append(out, wave{cur, curSize, time.Since(since)})
						logf(t, "  progress: wave %d of %d clusters took %s", cur, curSize, time.Since(since).Round(100*time.Millisecond))
					}
					cur, curSize, since = w, members, time.Now()
				}
			case rollout.PhaseComplete:
				if sawProgress {
					if cur >= 0 {
						out = append(out, wave{cur, curSize, time.Since(since)})
					}
					return out
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("rollout not complete in time")
	return nil
}

// cpuSeconds returns the CPU time (user + system) a process used so far.
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	testenv.Must(t, err)
	// Fields after the command (in parentheses, which may hold spaces):
	// utime and stime are the 12th and 13th, in clock ticks (USER_HZ 100).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// load returns the machine's load averages, for the log.
func load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	f := strings.Fields(string(b))
	return "load average " + strings.Join(f[:3], " ")
}

// memory returns a process's resident set and its peak, in KiB.
func memory(t *testing.T, pid int) (rss, hwm int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	testenv.Must(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm
}

// kubeconfig is cluster id's admin kubeconfig: the mux's URL for it, its
// CA and a token (the mux forwards with the backend's own identity).
func kubeconfig(t *testing.T, m *mux, id string) []byte {
	return tokenKubeconfig(t, m.server(id), m.caPEM, id)
}

// tokenKubeconfig is cluster id's kubeconfig for a front at server with
// CA caPEM, authenticated by a bench token (the front forwards with the
// backend's own identity).
func tokenKubeconfig(t *testing.T, server string, caPEM []byte, id string) []byte {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "bench-" + id}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "c"
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Error(err)
	}
	return b
}

// adminKubeconfig writes a system:masters kubeconfig of the seed.
func adminKubeconfig(t *testing.T, seed *kubeenv.ControlPlane) string {
	t.Helper()
	u, err := seed.Env.AddUser(envtest.User{Name: "seed-admin", Groups: []string{"system:masters"}}, nil)
	testenv.Must(t, err)
	kc, err := u.KubeConfig()
	testenv.Must(t, err)
	p := filepath.Join(t.TempDir(), "seed.kubeconfig")
	testenv.Must(t, os.WriteFile(p, kc, 0o600))
	return p
}

// parallel runs f for every id on w goroutines.
func parallel(t *testing.T, w int, ids []string, f func(string) error) {
	t.Helper()
	ch := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for range w {
		wg.Go(func() {
			for id := range ch {
				if err := f(id); err != nil {
					mu.Lock()
					errs = append(errs, id+": "+err.Error())
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range ids {
		ch <- id
	}
	close(ch)
	wg.Wait()
	if len(errs) > 0 {
		slices.Sort(errs)
		t.Fatalf("%d failures, first: %s", len(errs), errs[0])
	}
}

func logf(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("seedscale: "+format, args...)
}
