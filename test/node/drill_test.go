package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
)

// drillExtras adds to the shop namespace, before its backup, what a drill
// must defuse: a CronJob (restored suspended) and a NodePort Service
// (restored as ClusterIP; the scratch quota allows no node ports).
func drillExtras(t *testing.T, c client.Client, pauseImage string) {
	t.Helper()
	ctx := context.Background()
	must(t, c.Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: appNS},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 0 1 1 *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "job", Image: pauseImage, ImagePullPolicy: corev1.PullNever}},
			}}}},
		},
	}))
	must(t, c.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: appNS},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeNodePort,
			Selector: map[string]string{"app": appPod},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}))
}

// drillSeed makes the node its own seed for `clusterbackup drill run`: the
// KKP CRDs, the cluster's CBSL and Secret, its Cluster and its
// internal-admin-kubeconfig (the node's admin kubeconfig); it returns the
// inputs of `fleet status` as a directory, and the key pair's files.
type drillSeed struct {
	dir, private, public string
	pub                  []byte
}

func setupDrillSeed(t *testing.T, n *node.Node, r *release) drillSeed {
	t.Helper()
	ctx := context.Background()
	c := n.Client
	for _, f := range []string{"kubermatic.k8c.io_clusterbackupstoragelocations.yaml", "kubermatic.k8c.io_clusters.yaml"} {
		for _, o := range readObjects(t, testenv.RepoRoot()+"/api/v1/crds/"+f) {
			applyObject(t, c, o)
		}
	}
	cluster := &kkpv1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Name: r.id, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: r.cbsl.Name}}},
	}
	kc, err := os.ReadFile(n.Kubeconfig)
	must(t, err)
	for _, ns := range []string{"kubermatic", "cluster-" + r.id} {
		must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "internal-admin-kubeconfig", Namespace: "cluster-" + r.id}, Data: map[string][]byte{"kubeconfig": kc}}))
	for _, o := range []client.Object{r.secret.DeepCopy(), r.cbsl.DeepCopy(), cluster.DeepCopy()} {
		testenv.Eventually(t, time.Minute, "create "+o.GetName(), func() (bool, error) {
			err := c.Create(ctx, o)
			return err == nil, err
		})
	}
	d := drillSeed{dir: t.TempDir()}
	priv, pub, err := drill.GenerateKey()
	must(t, err)
	d.private, d.public, d.pub = filepath.Join(d.dir, "drill.key"), filepath.Join(d.dir, "drill.pub"), pub
	must(t, os.WriteFile(d.private, priv, 0o600))
	must(t, os.WriteFile(d.public, pub, 0o644))
	must(t, os.MkdirAll(filepath.Join(d.dir, "fleet"), 0o755))
	for name, o := range map[string]any{"cluster": cluster, "cbsl": r.cbsl, "secret": r.secret} {
		b, err := yaml.Marshal(o)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(d.dir, "fleet", name+".yaml"), b, 0o600))
	}
	return d
}

// drillArgs are the arguments of `drill run` for the release's cluster.
func (d drillSeed) runArgs(n *node.Node, r *release) []string {
	return []string{"drill", "run", "--kubeconfig", n.Kubeconfig, "--cluster", r.id, "--signing-key", d.private,
		"--allow-cidr", node.IP + "/32", "--timeout", "5m", "--cleanup-timeout", "3m"}
}

// runDrill runs `clusterbackup drill run` and returns the record it
// printed, its exit code, and its wall time, CPU time and peak RSS.
func runDrill(t *testing.T, args []string) (rec drill.Record, code int, wall, cpu time.Duration, rssKiB int64, stderr string) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	wall = time.Since(start)
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		must(t, err)
	}
	cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssKiB = ru.Maxrss
	}
	if out.Len() > 0 {
		must(t, json.Unmarshal(out.Bytes(), &rec))
	}
	return rec, code, wall, cpu, rssKiB, errOut.String()
}

// watchScratch records what appears in scratch namespaces while a drill
// runs: the restored CronJobs and Services, and whether each scratch
// namespace had its deny-all NetworkPolicy when its first restored pod
// appeared.
type scratchSeen struct {
	mu                 sync.Mutex
	cronJobs, services map[string]string // ns/name → suspend / type
	podsWithoutPolicy  []string
	pods               int
}

func watchScratch(ctx context.Context, c client.Client) *scratchSeen {
	s := &scratchSeen{cronJobs: map[string]string{}, services: map[string]string{}}
	go func() {
		for ctx.Err() == nil {
			var cjs batchv1.CronJobList
			var svcs corev1.ServiceList
			var pods corev1.PodList
			_ = c.List(ctx, &cjs)
			_ = c.List(ctx, &svcs)
			_ = c.List(ctx, &pods)
			s.mu.Lock()
			for _, cj := range cjs.Items {
				if strings.HasPrefix(cj.Namespace, drill.NamePrefix) {
					s.cronJobs[cj.Namespace+"/"+cj.Name] = boolText(cj.Spec.Suspend)
				}
			}
			for _, sv := range svcs.Items {
				if strings.HasPrefix(sv.Namespace, drill.NamePrefix) {
					s.services[sv.Namespace+"/"+sv.Name] = string(sv.Spec.Type)
				}
			}
			for _, p := range pods.Items {
				if !strings.HasPrefix(p.Namespace, drill.NamePrefix) {
					continue
				}
				s.pods++
				var np networkingv1.NetworkPolicy
				if err := c.Get(ctx, keyOf(p.Namespace, drill.PolicyName), &np); err != nil && !slices.Contains(s.podsWithoutPolicy, p.Namespace+"/"+p.Name) {
					s.podsWithoutPolicy = append(s.podsWithoutPolicy, p.Namespace+"/"+p.Name)
				}
			}
			s.mu.Unlock()
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return s
}

func boolText(b *bool) string {
	if b != nil && *b {
		return "true"
	}
	return "false"
}

// drillLeftovers lists the drill namespaces and Restores in the cluster.
func drillLeftovers(t *testing.T, c client.Client) []string {
	t.Helper()
	var out []string
	var nss corev1.NamespaceList
	must(t, c.List(context.Background(), &nss, client.MatchingLabels(drill.Selector())))
	for _, ns := range nss.Items {
		out = append(out, "namespace "+ns.Name)
	}
	var rs velerov1.RestoreList
	must(t, c.List(context.Background(), &rs, client.InNamespace(veleroNS), client.MatchingLabels(drill.Selector())))
	for _, r := range rs.Items {
		out = append(out, "restore "+r.Name)
	}
	return out
}

// fleetDrill runs the fleet inventory the way `fleet status
// --drill-public-key` does (the built binary, JSON) and returns the
// cluster's drill state and reason.
func fleetDrill(t *testing.T, d drillSeed) (string, string) {
	t.Helper()
	out, errOut, _ := testenv.RunBinary(t, "fleet", "status", "-f", filepath.Join(d.dir, "fleet"), "--allow-cidr", node.IP+"/32", "--drill-public-key", d.public, "-o", "json")
	var rep fleet.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Clusters) != 1 || rep.Clusters[0].Drill == nil {
		t.Fatalf("fleet status -o json: %v\n%s\n%s", err, out, errOut)
	}
	return string(rep.Clusters[0].Drill.State), rep.Clusters[0].Drill.Reason
}

// drillAcceptance runs on TestFSBBackupRestore's node after the backup
// shop-1 Completed (issue #28): a drill restores it into scratch
// namespaces and passes, the scratch copy's PV files equal the originals,
// the live workload is untouched, the record in S3 verifies (a tampered
// copy does not) and fleet status says verified; a drill killed mid-way
// leaves scratch objects that the next run removes; a damaged backup makes
// that run fail with the reason, and fleet status and the alert's series
// say drill failed. The killed drill's restored pod cannot reach an
// address outside its namespace (scratchIsolated). The tarball is put back
// afterwards for the restore that follows.
func drillAcceptance(t *testing.T, n *node.Node, r *release, sums map[string]string) {
	ctx := context.Background()
	c := n.Client
	d := setupDrillSeed(t, n, r)
	var live corev1.Pod
	must(t, c.Get(ctx, keyOf(appNS, appPod), &live))
	liveDir := filepath.Join(n.Dir, "pv", "shop-data")
	scratchDir := createLocalPV(t, n, "drill-shop-1")

	// 1. A drill that passes.
	wctx, stop := context.WithCancel(ctx)
	seen := watchScratch(wctx, c)
	rec, code, wall, cpu, rss, stderr := runDrill(t, d.runArgs(n, r))
	stop()
	if code != 0 || rec.Outcome != drill.Passed || !rec.CleanedUp {
		t.Fatalf("drill run exit %d, record %+v\nstderr: %s", code, rec, stderr)
	}
	for _, ch := range rec.Checks {
		if !ch.Passed {
			t.Fatalf("check %s failed: %s", ch.Name, ch.Detail)
		}
		t.Logf("drill check %s: %s", ch.Name, ch.Detail)
	}
	figure(t, "drill run (CLI, cleanup and record included)", wall)
	figure(t, "drill RTO (Restore created to Completed)", time.Duration(rec.RTOSeconds*float64(time.Second)))
	t.Logf("FIGURE drill run resources: %s CPU, peak RSS %d MiB", cpu.Round(10*time.Millisecond), rss/1024)
	scratch := rec.Namespaces[appNS]
	if !strings.HasPrefix(scratch, drill.NamePrefix+rec.Run+"-") {
		t.Fatalf("shop restored into %q, want a scratch namespace of run %s", scratch, rec.Run)
	}
	seen.mu.Lock()
	if seen.cronJobs[scratch+"/nightly"] != "true" {
		t.Errorf("restored CronJob not seen suspended: %v", seen.cronJobs)
	}
	if seen.services[scratch+"/web"] != string(corev1.ServiceTypeClusterIP) {
		t.Errorf("restored NodePort Service not seen as ClusterIP: %v", seen.services)
	}
	if seen.pods == 0 || len(seen.podsWithoutPolicy) > 0 {
		t.Errorf("restored pods seen %d times; without the deny-all NetworkPolicy: %v", seen.pods, seen.podsWithoutPolicy)
	}
	seen.mu.Unlock()
	if got := checksums(t, scratchDir); !maps.Equal(got, sums) {
		t.Fatalf("the scratch copy's PV files differ:\nwant %v\ngot  %v", sums, got)
	}
	if got := checksums(t, liveDir); !maps.Equal(got, sums) {
		t.Fatalf("the live PV changed during the drill:\nwant %v\ngot  %v", sums, got)
	}
	var after corev1.Pod
	must(t, c.Get(ctx, keyOf(appNS, appPod), &after))
	if after.UID != live.UID || after.DeletionTimestamp != nil {
		t.Fatalf("the live pod changed: UID %s → %s", live.UID, after.UID)
	}
	if left := drillLeftovers(t, c); len(left) > 0 {
		t.Fatalf("after the drill: %v", left)
	}
	recordWritten := time.Now()

	// The record: in S3 beside the prefix, verifies, a tampered copy not.
	recDir, err := drill.Dir(r.prefix, projectID, r.id)
	must(t, err)
	keys := r.s3.Keys(t, bucket, recDir)
	if len(keys) != 1 || !strings.HasSuffix(keys[0], "-"+rec.Run+"-passed.json") {
		t.Fatalf("records under %s: %v", recDir, keys)
	}
	s3c := r.s3.Client(r.s3.RootAccessKey, r.s3.RootSecretKey)
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[0])})
	must(t, err)
	signed, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	must(t, err)
	recFile := filepath.Join(d.dir, "record.json")
	must(t, os.WriteFile(recFile, signed, 0o644))
	if out, errOut, code := testenv.RunBinary(t, "drill", "verify", "--public-key", d.public, recFile); code != 0 || !strings.Contains(out, "verified") || !strings.Contains(out, "passed") {
		t.Fatalf("drill verify of the stored record: exit %d\n%s%s", code, out, errOut)
	}
	tampered := filepath.Join(d.dir, "tampered.json")
	must(t, os.WriteFile(tampered, bytes.Replace(signed, []byte(`"rtoSeconds":`), []byte(`"rtoSeconds":1`), 1), 0o644))
	if out, _, code := testenv.RunBinary(t, "drill", "verify", "--public-key", d.public, tampered); code != 1 || !strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("drill verify of a tampered record: exit %d\n%s", code, out)
	}
	if state, reason := fleetDrill(t, d); state != string(fleet.DrillVerified) {
		t.Fatalf("fleet status says %s (%s), want verified", state, reason)
	}

	// 2. A drill killed once its Restore exists leaves scratch objects;
	// Velero restores on into them (onto a fresh local PV), so its pod runs
	// there under the deny-all NetworkPolicy until the next run.
	createLocalPV(t, n, "drill-shop-2")
	cmd := exec.Command(testenv.Binary(t), d.runArgs(n, r)...)
	must(t, cmd.Start())
	testenv.Eventually(t, 2*time.Minute, "the killed drill's Restore", func() (bool, error) {
		var rs velerov1.RestoreList
		err := c.List(ctx, &rs, client.InNamespace(veleroNS), client.MatchingLabels(drill.Selector()))
		return len(rs.Items) > 0, err
	})
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
	left := drillLeftovers(t, c)
	if len(left) < 2 {
		t.Fatalf("the killed drill left %v, want its namespace and Restore", left)
	}
	t.Logf("a killed drill left: %v", left)
	var scratchNSs corev1.NamespaceList
	must(t, c.List(ctx, &scratchNSs, client.MatchingLabels(drill.Selector())))
	if len(scratchNSs.Items) != 1 {
		t.Fatalf("the killed drill left %d scratch namespaces, want 1", len(scratchNSs.Items))
	}
	probeStart := time.Now()
	figure(t, "restored pod running under the enforced NetworkPolicy (after the kill)", scratchIsolated(t, n, r, scratchNSs.Items[0].Name))
	figure(t, "NetworkPolicy check (restored pod running, policy enforced, 6 dials)", time.Since(probeStart))

	// 3. Damage the backup's tarball: the next run removes those leftovers
	// and fails, saying what broke; nothing is left either.
	tarKey := r.prefix + "/backups/shop-1/shop-1.tar.gz"
	obj, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(tarKey)})
	must(t, err)
	tarball, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	must(t, err)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(tarKey), Body: bytes.NewReader(tarball[:len(tarball)/2])})
	must(t, err)
	failed, code, _, _, _, stderr := runDrill(t, d.runArgs(n, r))
	// The reason quotes what broke: the Restore's phase and the first errors
	// of its results (read from storage before the cleanup).
	if code != 1 || failed.Outcome != drill.Failed || !strings.HasPrefix(failed.Reason, "restorePhase: ") || strings.Count(failed.Reason, ": ") < 2 || !failed.CleanedUp {
		t.Fatalf("drill of the damaged backup: exit %d, record %+v\nstderr: %s", code, failed, stderr)
	}
	t.Logf("drill of the damaged backup failed: %s", failed.Reason)
	if left := drillLeftovers(t, c); len(left) > 0 {
		t.Fatalf("after the failed drill (and the killed one): %v", left)
	}
	state, reason := fleetDrill(t, d)
	if state != string(fleet.DrillFailed) || !strings.Contains(reason, "restorePhase") {
		t.Fatalf("fleet status says %s (%s), want drill-failed with the reason", state, reason)
	}
	// The alert ClusterBackupDrillFailed selects this series.
	fc := fleet.ClusterFor(ctx, &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: r.id, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: r.cbsl.Name}}}},
		r.cbsl, func(context.Context, string, string) (*corev1.Secret, error) { return r.secret, nil }, nil)
	pub, err := drill.ParsePublicKey(d.pub)
	must(t, err)
	rep := fleet.Inventory(ctx, []fleet.Cluster{fc}, fleet.Options{DrillKey: pub,
		Checker: s3check.New(s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes(node.IP + "/32")}})})
	col := fleet.NewCollector()
	col.Set(rep, 0)
	if v := drillSeries(t, col, r.id, string(fleet.DrillFailed)); v != 1 {
		t.Fatalf("%s{state=drill-failed} = %v, want 1 (the alert's condition)", fleet.MetricDrillState, v)
	}
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(tarKey), Body: bytes.NewReader(tarball)})
	must(t, err)

	// Velero validated the managed BSL again after the records were
	// written beside its prefix, and found it Available.
	start := time.Now()
	testenv.Eventually(t, 3*time.Minute, "BSL validated Available after the drill records", func() (bool, error) {
		var bsl velerov1.BackupStorageLocation
		if err := c.Get(ctx, keyOf(veleroNS, "default"), &bsl); err != nil {
			return false, err
		}
		lv := bsl.Status.LastValidationTime
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable && lv != nil && lv.After(recordWritten),
			fmt.Errorf("phase %s %s, last validated %v", bsl.Status.Phase, bsl.Status.Message, lv)
	})
	figure(t, "wait for the BSL's next validation after the drills", time.Since(start))
}

// drillSeries returns the value of the drill state series of cluster in
// state from the collector.
func drillSeries(t *testing.T, col *fleet.Collector, cluster, state string) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 256)
	go func() { col.Collect(ch); close(ch) }()
	var v float64 = -1
	for m := range ch {
		if !strings.Contains(m.Desc().String(), `"`+fleet.MetricDrillState+`"`) {
			continue
		}
		var pb dto.Metric
		must(t, m.Write(&pb))
		labels := map[string]string{}
		for _, l := range pb.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["cluster"] == cluster && labels["state"] == state {
			v = pb.GetGauge().GetValue()
		}
	}
	return v
}
