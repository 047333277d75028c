//go:build seedbench

package seedscale

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/drill"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// TestDrillScale measures how many restore drills per hour one seed
// sustains at the default cap (--drill-max-concurrent 2): one `clusterbackup
// controllers --drills` process (the built binary, its CPU and RSS its own)
// against a real seed kube-apiserver with N Clusters (DRILL_BENCH_CLUSTERS,
// 20) whose user clusters are served by a few real kube-apiservers
// (DRILL_BENCH_BACKENDS, 2) through mux and drillFront, every cluster due
// all the time (--drill-interval 1m, the minimum), its backup files and the
// records in a real S3 (versitygw, behind a request counter). Velero does
// not run: veleroStandIn completes each Restore after DRILL_BENCH_RESTORE
// seconds (10: the node harness's RTO, docs/benchmarks.md) and finalizes
// the scratch namespaces. Two windows: the seed chart's settings (the
// scheduler's default tick, 1m; DRILL_BENCH_CHART_WINDOW, 300 s) and the
// tick at 1s through --config (drill.tick; DRILL_BENCH_WINDOW, 600 s), each
// after a warm-up. Every drill must pass and its record verify. Figures
// are logged as "seedscale:" lines.
func TestDrillScale(t *testing.T) {
	n, nb := env("DRILL_BENCH_CLUSTERS", 20), env("DRILL_BENCH_BACKENDS", 2)
	took := time.Duration(env("DRILL_BENCH_RESTORE", 10)) * time.Second
	chartWindow := time.Duration(env("DRILL_BENCH_CHART_WINDOW", 300)) * time.Second
	window := time.Duration(env("DRILL_BENCH_WINDOW", 600)) * time.Second
	ctx := context.Background()
	start := time.Now()

	rl, pvbFile, list, pvbs := drillBackupFiles(t)
	seed := kubeenv.Start(t, kubeenv.Options{})
	testenv.Must(t, seed.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: stateNS}}))
	s3srv := s3env.Start(t)
	testenv.Must(t, s3srv.CreateBucket(ctx, "fleet"))
	counter := testenv.StartCountingProxy(t, s3srv.Endpoint, false)
	cbsl, secret := s3env.Location(s3srv, "fleet", "fleet", "seed", project)
	cbsl.Spec.Config["s3Url"] = counter.URL
	testenv.Must(t, seed.Client.Create(ctx, secret))
	testenv.Must(t, seed.Client.Create(ctx, cbsl))

	var backends []*kubeenv.ControlPlane
	cfgs := make([]*rest.Config, 0, nb)
	for range nb {
		k := kubeenv.Start(t, kubeenv.Options{})
		backends = append(backends, k)
		cfgs = append(cfgs, k.Config)
		startVeleroStandIn(t, k, took, list, pvbs)
	}
	m := startMux(t, cfgs, veleroNS)
	front := startDrillFront(t, m)
	logf(t, "drills: control planes: seed + %d user kube-apiservers, versitygw: %s", nb, time.Since(start).Round(time.Second))

	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("drill%04d", i)
	}
	s3c := s3srv.Client(s3srv.RootAccessKey, s3srv.RootSecretKey)
	backupDone := time.Now().Add(-time.Hour)
	b := fleettest.Backup{Schedule: "daily", Phase: velerov1.BackupPhaseCompleted, Started: backupDone.Add(-2 * time.Minute), Took: 2 * time.Minute}
	parallel(t, 8, ids, func(id string) error {
		prefix := "seed/" + project + "/" + id
		if err := fleettest.Put(ctx, s3c, "fleet", prefix, b); err != nil {
			return err
		}
		l := storage.LayoutOf(prefix)
		for key, body := range map[string][]byte{l.BackupResourceListKey(b.BackupName()): rl, l.PodVolumeBackupsKey(b.BackupName()): pvbFile} {
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				return fmt.Errorf("put %s: %w", key, err)
			}
		}
		if err := userVelero(ctx, backends[backendOf(id, nb)].Client, veleroNS+"-"+id, b); err != nil {
			return err
		}
		ns := userclient.DefaultNamespacePrefix + id
		if err := seed.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
		if err := seed.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: userclient.DefaultSecretName, Namespace: ns},
			Data: map[string][]byte{userclient.DefaultSecretKey: frontKubeconfig(t, front, id)}}); err != nil {
			return err
		}
		return seed.Client.Create(ctx, &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
			Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl.Name}}}})
	})
	expected, _ := list.Expected([]string{"shop"})
	logf(t, "drills: %d clusters, each with a Completed backup (%d items to restore in namespace shop, %d PodVolumeBackup of %d bytes) on %d backends; restore stand-in %s", n, expected, len(pvbs), pvbs[0].Status.Progress.TotalBytes, nb, took)

	dir := t.TempDir()
	priv, pubPEM, err := core.GenerateKey()
	testenv.Must(t, err)
	keyFile := filepath.Join(dir, "drill.key")
	testenv.Must(t, os.WriteFile(keyFile, priv, 0o600))
	pub, err := core.ParsePublicKey(pubPEM)
	testenv.Must(t, err)
	tickFile := filepath.Join(dir, "tick.yaml")
	testenv.Must(t, os.WriteFile(tickFile, []byte("drill:\n  tick: 1s\n"), 0o600))
	seedKC := adminKubeconfig(t, seed)
	args := func(extra ...string) []string {
		return append([]string{"controllers", "--health-addr", "0", "--cbsl-check-allow-cidr", "127.0.0.1/32",
			"--drills", "--drill-signing-key", keyFile, "--drill-interval", "1m",
			"--drill-max-concurrent", strconv.Itoa(drill.DefaultMaxConcurrent)}, extra...)
	}
	run := drillRun{t: t, seed: seed, kubeconfig: seedKC, ids: ids, m: m, s3: counter, cap: drill.DefaultMaxConcurrent}
	phases := []*drillPhase{
		run.phase("the seed chart's settings (scheduler tick 1m, the default)", args(), chartWindow),
		run.phase("scheduler tick 1s (--config drill.tick)", args("--config", tickFile), window),
	}

	// Every record verifies and passed; each window's drills by their start.
	recs := drillRecords(t, s3c, pub)
	for _, r := range recs {
		if r.Outcome != core.Passed || !r.CleanedUp {
			t.Errorf("drill %s of cluster %s: %s (%s), cleaned up %v", r.Run, r.ClusterID, r.Outcome, r.Reason, r.CleanedUp)
		}
	}
	for _, p := range phases {
		p.report(t, recs)
	}
	for i, k := range backends {
		var nss corev1.NamespaceList
		testenv.Must(t, k.Client.List(ctx, &nss, client.MatchingLabels(core.Selector())))
		var rss velerov1.RestoreList
		testenv.Must(t, k.Client.List(ctx, &rss))
		if len(nss.Items)+len(rss.Items) > 0 {
			t.Errorf("backend %d: %d scratch namespaces and %d Restores left after the drills", i, len(nss.Items), len(rss.Items))
		}
	}
	logf(t, "drills: %d records written, every one verified with the seed's public key and passed; nothing left in the user clusters", len(recs))
}

// drillRun holds what every phase of TestDrillScale shares.
type drillRun struct {
	t          *testing.T
	seed       *kubeenv.ControlPlane
	kubeconfig string
	ids        []string
	m          *mux
	s3         *testenv.CountingProxy
	cap        int
}

// drillPhase is one measured window.
type drillPhase struct {
	name                    string
	from, to                time.Time
	passed, failed, errored float64
	cpu                     float64
	rss, hwm                int64
	reads, writes, s3       int64
	byKind                  string
	cap                     int
}

// phase starts a controllers process with args, waits for its first two
// drills, measures one window, then stops it with no drill running (every
// Cluster opted out first, the opt-out removed after).
func (r drillRun) phase(name string, args []string, window time.Duration) *drillPhase {
	t := r.t
	p := startController(t, r.kubeconfig, args)
	t0 := time.Now()
	waitMetric(t, p, 5*time.Minute, `clusterbackup_drills_total{outcome="passed"}`, float64(r.cap))
	logf(t, "drills: %s: first %d drills done %s after start", name, r.cap, time.Since(t0).Round(time.Second))
	ph := &drillPhase{name: name, cap: r.cap}
	before := scrape(p)
	cpu0 := cpuSeconds(t, p.cmd.Process.Pid)
	s30 := r.s3.N.Load()
	r.m.reset()
	ph.from = time.Now()
	time.Sleep(window)
	ph.to = time.Now()
	after := scrape(p)
	ph.cpu = cpuSeconds(t, p.cmd.Process.Pid) - cpu0
	ph.s3 = r.s3.N.Load() - s30
	for _, c := range r.m.totals() {
		ph.reads, ph.writes = ph.reads+c[0], ph.writes+c[1]
	}
	ph.byKind = r.m.byKind()
	ph.rss, ph.hwm = memory(t, p.cmd.Process.Pid)
	total := func(m map[string]float64, o string) float64 {
		return m[`clusterbackup_drills_total{outcome="`+o+`"}`]
	}
	ph.passed = total(after, "passed") - total(before, "passed")
	ph.failed = total(after, "failed") - total(before, "failed")
	ph.errored = total(after, "error") - total(before, "error")
	if ph.failed+ph.errored > 0 {
		t.Errorf("%s: %v drills failed and %v not run in the window", name, ph.failed, ph.errored)
	}
	r.optOut(true)
	testenv.Eventually(t, 3*time.Minute, "no drill running", func() (bool, error) {
		v := scrape(p)[drill.MetricRunning]
		return v == 0, fmt.Errorf("%v drills running", v)
	})
	p.stop()
	r.optOut(false)
	return ph
}

// optOut sets or removes every Cluster's drill opt-out annotation.
func (r drillRun) optOut(on bool) {
	ctx := context.Background()
	parallel(r.t, 8, r.ids, func(id string) error {
		var c kkpv1.Cluster
		if err := r.seed.Client.Get(ctx, client.ObjectKey{Name: id}, &c); err != nil {
			return err
		}
		if on {
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[core.OptOutAnnotation] = core.OptOutValue
		} else {
			delete(c.Annotations, core.OptOutAnnotation)
		}
		return r.seed.Client.Update(ctx, &c)
	})
}

// report logs a phase's figures; recs are every record written.
func (p *drillPhase) report(t *testing.T, recs []*core.Record) {
	t.Helper()
	w := p.to.Sub(p.from)
	var durs, rtos []float64
	for _, r := range recs {
		if !r.Started.Before(p.from) && r.Started.Before(p.to) {
			durs = append(durs, r.Finished.Sub(r.Started).Seconds())
			rtos = append(rtos, r.RTOSeconds)
		}
	}
	if len(durs) == 0 {
		t.Errorf("%s: no drill started in the window", p.name)
		return
	}
	done := p.passed + p.failed
	mean := meanOf(durs)
	perHour := done * 3600 / w.Seconds()
	logf(t, "drills: %s, window %s: %.0f drills completed (%.0f passed, %.0f failed, %.0f not run) = %.0f drills per hour; %d started in the window",
		p.name, w.Round(time.Second), done, p.passed, p.failed, p.errored, perHour, len(durs))
	logf(t, "drills:   drill duration (record: started → finished, cleanup included) mean %.1f s (min %.1f, max %.1f); RTO mean %.1f s; cap × 3600 / duration = %d × 3600 / %.1f = %.0f per hour; slots busy %.0f%%",
		mean, slices.Min(durs), slices.Max(durs), meanOf(rtos), p.cap, mean, float64(p.cap)*3600/mean, 100*float64(len(durs))*mean/(float64(p.cap)*w.Seconds()))
	logf(t, "drills:   controllers process: CPU %.1f s over the window = %.2f s per drill, %.0f s per hour; RSS %d MiB, peak %d MiB",
		p.cpu, p.cpu/max(done, 1), p.cpu*3600/w.Seconds(), p.rss>>10, p.hwm>>10)
	logf(t, "drills:   requests: to user clusters %d reads + %d writes = %.1f per drill (by kind: %s); to S3 %d = %.1f per drill",
		p.reads, p.writes, float64(p.reads+p.writes)/max(done, 1), p.byKind, p.s3, float64(p.s3)/max(done, 1))
}

func meanOf(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// drillRecords reads and verifies every drill record in the bucket.
func drillRecords(t *testing.T, c *s3.Client, pub ed25519.PublicKey) []*core.Record {
	t.Helper()
	ctx := context.Background()
	var out []*core.Record
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("fleet"), Prefix: aws.String("seed/" + core.RecordsFolder + "/")})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		testenv.Must(t, err)
		for _, o := range page.Contents {
			obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: o.Key})
			testenv.Must(t, err)
			data, err := io.ReadAll(obj.Body)
			_ = obj.Body.Close()
			testenv.Must(t, err)
			r, err := core.Verify(data, pub)
			if err != nil {
				t.Errorf("record %s: %v", aws.ToString(o.Key), err)
				continue
			}
			out = append(out, r)
		}
	}
	return out
}

// drillBackupFiles returns the benchmark backup's resource list and
// PodVolumeBackups as Velero stores them (gzipped JSON) and as the drill
// reads them: the node harness's drill workload (docs/benchmarks.md) — one
// namespace shop with a pod, its PVC of 9,437,321 bytes backed up by File
// System Backup, a CronJob, a Service — plus what the drill leaves out
// (Velero's and kube-system's items, cluster-scoped ones, Events).
func drillBackupFiles(t *testing.T) (rl, pvbFile []byte, list core.ResourceList, pvbs []velerov1.PodVolumeBackup) {
	t.Helper()
	items := map[string][]string{
		"v1/Namespace":             {"shop", "velero", "kube-system"},
		"v1/PersistentVolume":      {"pvc-7d0c6f1e-33b5-4d8e-9a43-0f7b2f1f6a10"},
		"v1/Pod":                   {"shop/shop-6b8f7d9c5-x2k4q"},
		"apps/v1/Deployment":       {"shop/shop"},
		"apps/v1/ReplicaSet":       {"shop/shop-6b8f7d9c5"},
		"v1/PersistentVolumeClaim": {"shop/data"},
		"v1/ConfigMap":             {"shop/kube-root-ca.crt", "velero/kube-root-ca.crt", "kube-system/coredns"},
		"v1/ServiceAccount":        {"shop/default", "velero/velero"},
		"v1/Service":               {"shop/shop"},
		"batch/v1/CronJob":         {"shop/tick"},
		"v1/Event":                 {"shop/shop-6b8f7d9c5-x2k4q.1879f2c3a1b4d5e6"},
	}
	pvbs = []velerov1.PodVolumeBackup{{
		TypeMeta:   metav1.TypeMeta{APIVersion: velerov1.SchemeGroupVersion.String(), Kind: "PodVolumeBackup"},
		ObjectMeta: metav1.ObjectMeta{Name: "daily-x7k2p", Namespace: veleroNS},
		Spec: velerov1.PodVolumeBackupSpec{
			Pod:    corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "shop-6b8f7d9c5-x2k4q"},
			Volume: "data", BackupStorageLocation: "default", RepoIdentifier: "s3:http://s3/fleet/seed/kopia/shop", UploaderType: "kopia",
		},
		Status: velerov1.PodVolumeBackupStatus{Phase: velerov1.PodVolumeBackupPhaseCompleted, SnapshotID: "9e1c4f0a7b2d6e8f3a5c1b0d9e7f2a4c"},
	}}
	pvbs[0].Status.Progress.TotalBytes, pvbs[0].Status.Progress.BytesDone = 9437321, 9437321
	rl, pvbFile = gzipJSON(t, items), gzipJSON(t, pvbs)
	list, err := core.ParseResourceList(rl)
	testenv.Must(t, err)
	return rl, pvbFile, list, pvbs
}

func gzipJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	testenv.Must(t, json.NewEncoder(zw).Encode(v))
	testenv.Must(t, zw.Close())
	return buf.Bytes()
}

// userVelero writes what Velero keeps in a user cluster's namespace ns for
// the drill: the default BSL (Available) and the Completed Backup b.
func userVelero(ctx context.Context, c client.Client, ns string, b fleettest.Backup) error {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	bsl := &velerov1.BackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns},
		Spec: velerov1.BackupStorageLocationSpec{Provider: "aws", Default: true,
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "fleet", Prefix: "seed/" + project}}},
		Status: velerov1.BackupStorageLocationStatus{Phase: velerov1.BackupStorageLocationPhaseAvailable},
	}
	if err := c.Create(ctx, bsl); err != nil {
		return err
	}
	var vb velerov1.Backup
	if err := json.Unmarshal(b.JSON(), &vb); err != nil {
		return err
	}
	vb.Namespace, vb.CreationTimestamp = ns, metav1.Time{}
	return c.Create(ctx, &vb)
}

// frontKubeconfig is cluster id's admin kubeconfig through drillFront.
func frontKubeconfig(t *testing.T, f *drillFront, id string) []byte {
	return tokenKubeconfig(t, f.server(id), f.caPEM, id)
}
