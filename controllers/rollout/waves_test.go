package rollout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/controllers/rollout"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	procopts "github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/internal/testenv/veleroenv"
)

const (
	project  = "wavesp7k2q"
	veleroNS = "velero"
	leaseNS  = "clusterbackup"
	stateNS  = "kubermatic"
)

// Render configurations of the test: the defaults, one whose images come
// from a registry the clusters cannot pull from, and the fix.
const (
	configGood = "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: {}\n"
	configBad  = "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  registry: " + kubeenv.UnpullableRegistry + "\n"
	configFix  = "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  nodeAgent: false\n"
	// configMirror moves the images to a registry mirror; it is rolled
	// back to configFix before it completes.
	configMirror   = "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  nodeAgent: false\n  registry: " + mirrorRegistry + "\n"
	mirrorRegistry = "mirror.example.com"
)

// userCluster is one user cluster of the test: its own kube-apiserver.
type userCluster struct {
	id    string
	kube  *kubeenv.ControlPlane
	stand *kubeenv.StandIn
}

// TestRolloutWaves is the acceptance test of rollout waves, with real
// parts: a seed and three user clusters, each its own kube-apiserver; the
// controllers process (controllers.New: release loop, credentials loop and
// rollout, leader election) restarted with each render configuration, as
// the chart's Deployment is; versitygw as the storage; and on one cluster
// the real Velero server (a process with the rendered server flags and the
// credentials the credentials loop delivered), whose BSL controller decides
// the BSL's health. The clusters have no kube-controller-manager and no
// node: a stand-in writes the workload status a controller-manager and a
// kubelet would (standIn), which is what the gate reads.
//
//   - a configuration whose images cannot be pulled: the canary fails its
//     gate with the reason image-pull, the rollout halts, Event and metric
//     name the cluster and the reason, the two other clusters keep their
//     release (same inventory digest, same images);
//   - the fix rolls out wave by wave; the controllers process is replaced
//     in the middle (a new leader), and the new one resumes at the wave
//     that was running, neither from zero nor skipping its gate;
//   - a registry move passes the canary and moves wave 1, then the file is
//     reverted to the last good configuration (a rollback): the clusters
//     that moved go back wave by wave, canaries first, the cluster never
//     reached writes nothing, and the real Velero's BSL and backup stay.
func TestRolloutWaves(t *testing.T) {
	logTail(t)
	ctx := context.Background()
	seed := kubeenv.Start(t, kubeenv.Options{})
	for _, ns := range []string{stateNS, leaseNS} {
		testenv.Must(t, seed.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	s3 := s3env.Start(t)
	const bucket = "fleet-backups"
	testenv.Must(t, s3.CreateBucket(ctx, bucket))
	cbsl, secret := s3env.Location(s3, "waves", bucket, "fleet", project)
	testenv.Must(t, seed.Client.Create(ctx, secret))
	testenv.Must(t, seed.Client.Create(ctx, cbsl))

	// Three clusters in rollout order: the canary, then one per wave
	// (batch size 1). The real Velero runs on the second, so its gate in
	// the fix's wave 1 reads what Velero itself decided.
	ms := rollout.Order([]rollout.Member{{ID: "wavea5k2x9"}, {ID: "waveb7m3q4"}, {ID: "wavec2n8r6"}})
	clusters := make([]*userCluster, len(ms))
	for i, m := range ms {
		k := kubeenv.Start(t, kubeenv.Options{CRDDirs: []string{}})
		u, err := k.Env.AddUser(envtest.User{Name: "kkp-admin", Groups: []string{"system:masters"}}, nil)
		testenv.Must(t, err)
		kc, err := u.KubeConfig()
		testenv.Must(t, err)
		ns := userclient.DefaultNamespacePrefix + m.ID
		testenv.Must(t, seed.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
		testenv.Must(t, seed.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: userclient.DefaultSecretName, Namespace: ns}, Data: map[string][]byte{userclient.DefaultSecretKey: kc}}))
		clusters[i] = &userCluster{id: m.ID, kube: k, stand: kubeenv.StartStandIn(t, k.Client, veleroNS, i != 1, 100*time.Millisecond)}
	}
	canary, withVelero, last := clusters[0], clusters[1], clusters[2]
	cfgFile := filepath.Join(t.TempDir(), "render-config.yaml")

	// The good configuration everywhere: the first start adopts it at once.
	testenv.Must(t, os.WriteFile(cfgFile, []byte(configGood), 0o600))
	good := generation(t, configGood)
	p := startProcess(t, seed, cfgFile, rollout.Options{Enabled: true, BatchSize: 1, Deadline: duration.Of(60 * time.Second), Poll: duration.Of(200 * time.Millisecond)})
	for _, c := range clusters {
		testenv.Must(t, seed.Client.Create(ctx, &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: c.id, Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
			Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl.Name}}}}))
	}
	for _, c := range clusters {
		waitGeneration(t, seed, c.id, good)
	}
	waitRollout(t, p, rollout.PhaseComplete, good)

	// The real Velero on the second cluster, with the delivered credentials.
	ini := delivered(t, withVelero)
	dep := getUnstructured(t, withVelero.kube.Client, "apps/v1", "Deployment", "velero")
	vu, err := withVelero.kube.Env.AddUser(envtest.User{Name: "system:serviceaccount:velero:velero", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:velero"}}, nil)
	testenv.Must(t, err)
	vkc, err := vu.KubeConfig()
	testenv.Must(t, err)
	v := veleroenv.Start(t, veleroenv.Options{Kubeconfig: vkc, Namespace: veleroNS, CredentialsFile: ini, Args: veleroenv.ServerArgs(t, []*unstructured.Unstructured{dep})})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("velero log (tail):\n%s", testenv.Tail(v.Log(), 40))
		}
	})
	waitBSL(t, withVelero, v)
	before := map[string]snapshot{}
	for _, c := range clusters {
		before[c.id] = snap(t, c)
	}

	t.Run("an image that cannot be pulled halts the rollout at the canary", func(t *testing.T) {
		p.stop()
		testenv.Must(t, os.WriteFile(cfgFile, []byte(configBad), 0o600))
		bad := generation(t, configBad)
		p = startProcess(t, seed, cfgFile, rollout.Options{Enabled: true, BatchSize: 1, Deadline: duration.Of(8 * time.Second), Poll: duration.Of(200 * time.Millisecond)})
		waitRollout(t, p, rollout.PhaseHalted, bad)
		_, _, gotGood, wave, failures := p.ro().State()
		if wave != 0 || gotGood != good || len(failures) != 1 || failures[0].Cluster != canary.id || failures[0].Reason != rollout.ReasonImagePull {
			t.Fatalf("halted at wave %d (good %s), failures %+v; want the canary %s with %s at wave 0", wave, gotGood, failures, canary.id, rollout.ReasonImagePull)
		}
		note := waitEvent(t, seed, canary.id, rollout.ReasonHalted, canary.id, rollout.ReasonImagePull, kubeenv.UnpullableRegistry)
		t.Logf("Event: %s", note)
		testenv.Eventually(t, 10*time.Second, rollout.MetricGateFailures+" names the canary and image-pull", func() (bool, error) {
			s := testenv.Series(t, rollout.MetricGateFailures, map[string]string{"cluster": canary.id, "reason": rollout.ReasonImagePull})
			return len(s) == 1 && s[0].GetGauge().GetValue() == 1, fmt.Errorf("series %v", s)
		})
		if s := testenv.Series(t, rollout.MetricState, map[string]string{"state": string(rollout.PhaseHalted)}); len(s) != 1 || s[0].GetGauge().GetValue() != 1 {
			t.Fatalf("%s{state=halted}: %v", rollout.MetricState, s)
		}
		// The canary holds the bad release; the others keep theirs,
		// untouched, however often the loop reconciles them.
		if got := snap(t, canary); got.digest == before[canary.id].digest || !strings.HasPrefix(got.image, kubeenv.UnpullableRegistry+"/") {
			t.Fatalf("canary not moved to the bad configuration: %+v", got)
		}
		for _, c := range []*userCluster{withVelero, last} {
			if got := snap(t, c); got != before[c.id] {
				t.Fatalf("cluster %s not reached by the rollout changed: %+v, before %+v", c.id, got, before[c.id])
			}
			if g := annotation(t, seed, c.id); g != good {
				t.Fatalf("cluster %s records generation %s, want %s", c.id, g, good)
			}
		}
	})

	t.Run("the fix completes the rollout across a leader change", func(t *testing.T) {
		p.stop()
		testenv.Must(t, os.WriteFile(cfgFile, []byte(configFix), 0o600))
		fix := generation(t, configFix)
		last.stand.Hold.Store(true) // the last wave cannot pass yet
		opts := rollout.Options{Enabled: true, BatchSize: 1, Deadline: duration.Of(120 * time.Second), Poll: duration.Of(200 * time.Millisecond)}
		p = startProcess(t, seed, cfgFile, opts)
		testenv.Eventually(t, 90*time.Second, "waves 0 and 1 pass, wave 2 runs", func() (bool, error) {
			phase, target, _, wave, _ := p.ro().State()
			return phase == rollout.PhaseProgressing && target == fix && wave == 2, fmt.Errorf("phase %s target %s wave %d", phase, target, wave)
		})
		waitGeneration(t, seed, withVelero.id, fix) // its gate read Velero's own BSL status
		canaryApplied := snap(t, canary)
		p.stop() // the leader goes mid-rollout

		p = startProcess(t, seed, cfgFile, opts)
		testenv.Eventually(t, 30*time.Second, "the new leader loads the rollout", func() (bool, error) {
			phase, target, _, wave, _ := p.ro().State()
			return target == fix, fmt.Errorf("phase %s target %s wave %d", phase, target, wave)
		})
		if phase, _, _, wave, _ := p.ro().State(); phase != rollout.PhaseProgressing || wave != 2 {
			t.Fatalf("the new leader stands at %s wave %d, want progressing wave 2", phase, wave)
		}
		// The gate holds: with the last cluster not healthy, no wave is skipped.
		testenv.Never(t, 2*time.Second, 100*time.Millisecond, "the rollout leaving wave 2 with the last cluster not healthy", func() (bool, error) {
			if phase, _, _, wave, _ := p.ro().State(); phase != rollout.PhaseProgressing || wave != 2 {
				return true, fmt.Errorf("now at %s wave %d", phase, wave)
			}
			return false, nil
		})
		last.stand.Hold.Store(false)
		waitRollout(t, p, rollout.PhaseComplete, fix)
		for _, c := range clusters {
			waitGeneration(t, seed, c.id, fix)
			if ds := getUnstructured(t, c.kube.Client, "apps/v1", "DaemonSet", "node-agent"); ds != nil {
				t.Fatalf("cluster %s still has the node-agent the fix drops", c.id)
			}
		}
		if got := snap(t, canary); got.applied != canaryApplied.applied {
			t.Fatalf("the new leader applied the canary again (%s, before %s): it restarted the rollout", got.applied, canaryApplied.applied)
		}
		if s := testenv.Series(t, rollout.MetricClusters, map[string]string{"generation": fix}); len(s) != 1 || s[0].GetGauge().GetValue() != 3 {
			t.Fatalf("%s{generation=%s}: %v", rollout.MetricClusters, fix, s)
		}
		waitBSL(t, withVelero, v)
	})

	t.Run("a rollback returns the clusters that moved, wave by wave", func(t *testing.T) {
		fix, mirror := generation(t, configFix), generation(t, configMirror)
		good := map[string]snapshot{}
		for _, c := range clusters {
			good[c.id] = snap(t, c)
		}
		// A backup through the real Velero, on the cluster that moves in wave 1.
		b := backup(t, withVelero, "before-rollback")
		bsl := managedBSL(t, withVelero)
		stored := s3.Keys(t, bucket, "")
		if !slices.ContainsFunc(stored, func(k string) bool { return strings.Contains(k, "backups/"+b.Name+"/") }) {
			t.Fatalf("backup %s not in the bucket: %v", b.Name, stored)
		}
		seedMoves := watchSeed(t, seed)

		// The registry move: the canary passes, wave 1 (the real Velero's
		// cluster) moves but is slow, the last cluster is never reached.
		p.stop()
		testenv.Must(t, os.WriteFile(cfgFile, []byte(configMirror), 0o600))
		withVelero.stand.Hold.Store(true)
		opts := rollout.Options{Enabled: true, BatchSize: 1, Deadline: duration.Of(120 * time.Second), Poll: duration.Of(200 * time.Millisecond)}
		p = startProcess(t, seed, cfgFile, opts)
		testenv.Eventually(t, 90*time.Second, "the canary passes, wave 1 moves", func() (bool, error) {
			phase, target, _, wave, _ := p.ro().State()
			g := annotation(t, seed, withVelero.id)
			return phase == rollout.PhaseProgressing && target == mirror && wave == 1 && g == mirror, fmt.Errorf("phase %s target %s wave %d, wave 1 at %s", phase, target, wave, g)
		})
		for _, c := range []*userCluster{canary, withVelero} {
			if got := snap(t, c); !strings.HasPrefix(got.image, mirrorRegistry+"/") || annotation(t, seed, c.id) != mirror {
				t.Fatalf("cluster %s not moved to the mirror: %+v", c.id, got)
			}
		}
		moved := snap(t, withVelero)

		// The rollback: the file reverted to the last good configuration.
		// While the canary is judged (held), the loop has reconciled every
		// cluster and wave 1 keeps the mirror.
		p.stop()
		testenv.Must(t, os.WriteFile(cfgFile, []byte(configFix), 0o600))
		withVelero.stand.Hold.Store(false)
		canary.stand.Hold.Store(true)
		p = startProcess(t, seed, cfgFile, opts)
		testenv.Eventually(t, 60*time.Second, "the canary back on "+fix+", wave 1 still on the mirror", func() (bool, error) {
			phase, target, _, wave, _ := p.ro().State()
			count := func(g string) float64 {
				if s := testenv.Series(t, rollout.MetricClusters, map[string]string{"generation": g}); len(s) == 1 {
					return s[0].GetGauge().GetValue()
				}
				return 0
			}
			return phase == rollout.PhaseProgressing && target == fix && wave == 0 && count(fix) == 2 && count(mirror) == 1,
				fmt.Errorf("phase %s target %s wave %d, clusters on %s: %v, on %s: %v", phase, target, wave, fix, count(fix), mirror, count(mirror))
		})
		if got := snap(t, withVelero); got != moved || annotation(t, seed, withVelero.id) != mirror {
			t.Fatalf("cluster %s of wave 1 moved back while the canary was judged: %+v, before %+v", withVelero.id, got, moved)
		}
		canary.stand.Hold.Store(false)
		waitRollout(t, p, rollout.PhaseComplete, fix)
		if _, _, g, _, _ := p.ro().State(); g != fix {
			t.Fatalf("good generation %s after the rollback, want %s", g, fix)
		}
		for _, c := range clusters {
			waitGeneration(t, seed, c.id, fix)
			if got := snap(t, c); got.digest != good[c.id].digest || got.image != good[c.id].image {
				t.Fatalf("cluster %s holds %+v after the rollback, want the release of %s %+v", c.id, got, fix, good[c.id])
			}
		}
		// The cluster never reached applied nothing in either rollout.
		if got := snap(t, last); got != good[last.id] {
			t.Fatalf("cluster %s never reached was applied again: %+v, before %+v", last.id, got, good[last.id])
		}
		// Canaries first: the waves in rollout order, each cluster moved back
		// only in its wave, after the waves before it passed their gates.
		ms := seedMoves.all()
		if i := index(ms, func(m move) bool { return m.cluster == last.id }); i >= 0 {
			t.Fatalf("the release state of %s, never reached, was written: %+v", last.id, ms[i])
		}
		passed := func(cs ...*userCluster) string {
			ids := []string{}
			for _, c := range cs {
				ids = append(ids, c.id)
			}
			slices.Sort(ids)
			return strings.Join(ids, ",")
		}
		want := []string{
			"wave 0 [" + canary.id + "] passed []",
			"wave 1 [" + withVelero.id + "] passed [" + passed(canary) + "]",
			"wave 2 [" + last.id + "] passed [" + passed(canary, withVelero) + "]",
			"complete",
		}
		if got := waves(ms, fix); !slices.Equal(got, want) {
			t.Fatalf("rollback waves %q, want %q", got, want)
		}
		for i, c := range []*userCluster{canary, withVelero} {
			started := index(ms, func(m move) bool {
				return m.cluster == "" && m.target == fix && m.members == c.id && m.wave == strconv.Itoa(i)
			})
			back := index(ms, func(m move) bool { return m.cluster == c.id && m.generation == fix && !m.write })
			if started < 0 || back < started {
				t.Fatalf("cluster %s moved back at move %d, its wave %d started at move %d: %+v", c.id, back, i, started, ms)
			}
		}
		if s := testenv.Series(t, rollout.MetricClusters, map[string]string{"generation": fix}); len(s) != 1 || s[0].GetGauge().GetValue() != 3 {
			t.Fatalf("%s{generation=%s}: %v", rollout.MetricClusters, fix, s)
		}
		// No backup lost: the same BSL, Available by Velero, the same
		// Backup, its files in the bucket.
		waitBSL(t, withVelero, v)
		if got := managedBSL(t, withVelero); got.UID != bsl.UID {
			t.Fatalf("BSL %s replaced during the rollback (uid %s, before %s)", got.Name, got.UID, bsl.UID)
		}
		var after velerov1.Backup
		testenv.Must(t, withVelero.kube.Client.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: b.Name}, &after))
		if after.UID != b.UID || after.Status.Phase != velerov1.BackupPhaseCompleted {
			t.Fatalf("backup %s after the rollback: uid %s phase %s, before uid %s", b.Name, after.UID, after.Status.Phase, b.UID)
		}
		kept := s3.Keys(t, bucket, "")
		for _, k := range stored {
			if !slices.Contains(kept, k) {
				t.Fatalf("%s gone from the bucket during the rollback (now %v)", k, kept)
			}
		}
	})
}

// process is one controllers process (leader elected).
type process struct {
	mgrStop func()
	seed    *kubeenv.ControlPlane
}

func (p *process) stop() { p.mgrStop() }

// ro reads the rollout's state as stored on the seed.
func (p *process) ro() stored { return stored{seed: p.seed} }

// stored reads the rollout state ConfigMap.
type stored struct{ seed *kubeenv.ControlPlane }

// State returns phase, target, good, wave and failures as stored.
func (s stored) State() (rollout.Phase, string, string, int, []rollout.Failure) {
	var cm corev1.ConfigMap
	if err := s.seed.Client.Get(context.Background(), client.ObjectKey{Namespace: stateNS, Name: rollout.StateConfigMapName}, &cm); err != nil {
		return "", "", "", -1, nil
	}
	d := cm.Data
	wave, _ := strconv.Atoi(d["wave"])
	var f []rollout.Failure
	if v := d["failures"]; v != "" {
		_ = json.Unmarshal([]byte(v), &f)
	}
	return rollout.Phase(d["phase"]), d["targetGeneration"], d["goodGeneration"], wave, f
}

// startProcess starts a controllers process with the release loop, the
// credentials loop and waves, and waits until it leads.
func startProcess(t *testing.T, seed *kubeenv.ControlPlane, cfgFile string, ro rollout.Options) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	o := controllers.Options{
		Serving:        procopts.Serving{HealthAddr: "0", MetricsAddr: "0", ShutdownTimeout: duration.Of(10 * time.Second)},
		LeaderElection: true, LeaderElectionNamespace: leaseNS,
		Check:       s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}},
		Credentials: credentials.Options{Enabled: true},
		Release:     release.Options{Enabled: true, RenderConfig: cfgFile, ResyncPeriod: duration.Of(3 * time.Second), CRDTimeout: duration.Of(60 * time.Second)},
		Rollout:     ro,
	}
	o.Controller.SkipNameValidation = ptr.To(true)
	mgr, err := controllers.New(ctx, seed.Config, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("controllers process: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	select {
	case <-mgr.Elected():
	case <-time.After(60 * time.Second):
		t.Fatal("the controllers process did not become leader")
	}
	return &process{mgrStop: stop, seed: seed}
}

func generation(t *testing.T, doc string) string {
	t.Helper()
	s, err := release.ParseSettings("test", []byte(doc))
	testenv.Must(t, err)
	return release.ConfigGeneration(s)
}

func waitRollout(t *testing.T, p *process, want rollout.Phase, target string) {
	t.Helper()
	testenv.Eventually(t, 120*time.Second, fmt.Sprintf("rollout %s of %s", want, target), func() (bool, error) {
		phase, tg, _, wave, f := p.ro().State()
		return phase == want && tg == target, fmt.Errorf("phase %s target %s wave %d failures %+v", phase, tg, wave, f)
	})
}

// annotation is the generation recorded on a cluster's state ConfigMap.
func annotation(t *testing.T, seed *kubeenv.ControlPlane, id string) string {
	t.Helper()
	var cm corev1.ConfigMap
	if err := seed.Client.Get(context.Background(), client.ObjectKey{Namespace: stateNS, Name: release.StateConfigMapPrefix + id}, &cm); err != nil {
		return ""
	}
	return cm.Annotations[kkpv1.ReleaseGenerationAnnotation]
}

func waitGeneration(t *testing.T, seed *kubeenv.ControlPlane, id, want string) {
	t.Helper()
	testenv.Eventually(t, 90*time.Second, "cluster "+id+" at generation "+want, func() (bool, error) {
		g := annotation(t, seed, id)
		return g == want, fmt.Errorf("generation %q", g)
	})
}

// snapshot is what a cluster holds of its release (rv: the inventory's
// resourceVersion, which any apply changes).
type snapshot struct{ digest, applied, image, rv string }

func snap(t *testing.T, c *userCluster) snapshot {
	t.Helper()
	inv := getUnstructured(t, c.kube.Client, "v1", "ConfigMap", release.InventoryName)
	var d appsv1.Deployment
	testenv.Must(t, c.kube.Client.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: "velero"}, &d))
	a := inv.GetAnnotations()
	return snapshot{digest: a[release.DigestAnnotation], applied: a[release.AppliedAtAnnotation], image: d.Spec.Template.Spec.Containers[0].Image, rv: inv.GetResourceVersion()}
}

func getUnstructured(t *testing.T, c client.Client, apiVersion, kind, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: name}, u); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil
		}
		t.Fatal(err)
	}
	return u
}

// delivered waits for the credentials loop's Secret and returns its file.
func delivered(t *testing.T, c *userCluster) []byte {
	t.Helper()
	var ini []byte
	testenv.Eventually(t, 60*time.Second, "credentials delivered to "+c.id, func() (bool, error) {
		var s corev1.Secret
		if err := c.kube.Client.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: credentials.DefaultCredentialsSecret}, &s); err != nil {
			return false, err
		}
		ini = s.Data[credentials.DefaultCredentialsKey]
		return len(ini) > 0, nil
	})
	return ini
}

func waitBSL(t *testing.T, c *userCluster, v *veleroenv.Server) {
	t.Helper()
	testenv.Eventually(t, 90*time.Second, "the managed BSL Available (real Velero)", func() (bool, error) {
		if v.Exited() {
			t.Fatalf("velero server exited:\n%s", testenv.Tail(v.Log(), 40))
		}
		var list velerov1.BackupStorageLocationList
		if err := c.kube.Client.List(context.Background(), &list, client.InNamespace(veleroNS)); err != nil {
			return false, err
		}
		for _, bsl := range list.Items {
			if bsl.Spec.Default { // the managed BSL, whatever the release loop named it
				return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, fmt.Errorf("BSL %s phase %q %s", bsl.Name, bsl.Status.Phase, bsl.Status.Message)
			}
		}
		return false, fmt.Errorf("no default BSL among %d", len(list.Items))
	})
}

// waitEvent waits for an Event with reason on Cluster id whose note holds
// every part, and returns the note.
func waitEvent(t *testing.T, seed *kubeenv.ControlPlane, id, reason string, parts ...string) string {
	t.Helper()
	return kubeenv.WaitEvent(t, seed.Client, kkpv1.KindCluster, id, reason, parts...)
}
