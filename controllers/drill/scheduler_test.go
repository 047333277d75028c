package drill_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/drill"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// users hands out the API server as user cluster c1, refuses c2 and
// records who was asked for, and when.
type users struct {
	c     client.Client
	mu    sync.Mutex
	calls []string
}

func (u *users) For(_ context.Context, id string) (client.Client, error) {
	u.mu.Lock()
	u.calls = append(u.calls, id)
	u.mu.Unlock()
	if id == "c1" {
		return u.c, nil
	}
	return nil, errors.New("user cluster " + id + ": secret cluster-" + id + "/internal-admin-kubeconfig not found")
}

func (u *users) called() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.calls...)
}

// TestSchedulerOnAPIServer: the scheduler on a real kube-apiserver (seed
// and user cluster at once) and versitygw. The opted-out cluster is never
// reached; with a cap of one drill, c2 waits until c1's drill ended (it is
// only asked for its leftovers meanwhile). c1's
// drill puts the deny-all NetworkPolicy and the ResourceQuota in place
// before its Restore; with no Velero to run the Restore it fails at its
// deadline, removes the Restore and the modifiers, and writes a record
// beside the prefix that verifies and says why; the Cluster gets Events.
func TestSchedulerOnAPIServer(t *testing.T) {
	ctx := context.Background()
	k := kubeenv.Start(t, kubeenv.Options{})
	s3srv := s3env.Start(t)
	if err := s3srv.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	c := k.Client
	for _, ns := range []string{"kubermatic", "velero"} {
		testenv.Must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	cbsl, sec := s3env.Location(s3srv, "loc", "backups", "seed-eu", "p1")
	testenv.Must(t, c.Create(ctx, sec))
	testenv.Must(t, c.Create(ctx, cbsl))
	for _, id := range []string{"c1", "c2", "c-opt"} {
		cl := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
			Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: "loc"}}}}
		if id == "c-opt" {
			cl.Annotations = map[string]string{core.OptOutAnnotation: core.OptOutValue}
		}
		testenv.Must(t, c.Create(ctx, cl))
	}
	// c1's backup: Completed in the cluster, its resource list in storage.
	done := metav1.NewTime(time.Now().Add(-time.Hour))
	testenv.Must(t, c.Create(ctx, &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "b1", Namespace: "velero"},
		Status: velerov1.BackupStatus{Phase: velerov1.BackupPhaseCompleted, CompletionTimestamp: &done}}))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	testenv.Must(t, json.NewEncoder(zw).Encode(map[string][]string{"v1/Namespace": {"shop"}, "v1/Pod": {"shop/db"}, "v1/ConfigMap": {"shop/cfg"}}))
	testenv.Must(t, zw.Close())
	root := s3srv.Client(s3srv.RootAccessKey, s3srv.RootSecretKey)
	_, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("backups"), Key: aws.String(core.ResourceListKey("seed-eu/p1/c1", "b1")), Body: bytes.NewReader(gz.Bytes())})
	testenv.Must(t, err)

	_, key, err := ed25519.GenerateKey(nil)
	testenv.Must(t, err)
	o := drill.Options{Enabled: true, SigningKeyFile: "unused", MaxConcurrent: 1, Timeout: duration.Of(3 * time.Second), CleanupTimeout: duration.Of(time.Second), PollInterval: duration.Of(100 * time.Millisecond), Interval: duration.Of(time.Hour)}
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		t.Fatal(errs)
	}
	checker := s3check.New(s3check.Options{Policy: s3check.Policy{Allow: s3check.PrefixList{netip.MustParsePrefix("127.0.0.0/8")}}})
	u := &users{c: c}
	rec := events.NewFakeRecorder(20)
	sch := &drill.Scheduler{Reader: c, CBSLNamespace: "kubermatic", Secrets: storage.ReaderSecrets(c), Users: u,
		Runner: &drill.Runner{Checker: checker, Key: key, Options: o}, Recorder: rec, Metrics: drill.NewMetrics(nil),
		Rand: func() float64 { return 0 }}

	// While c1's Restore waits, the fences are in place and c2 waits.
	fenced := make(chan string, 1)
	go func() {
		for range 200 {
			var rs velerov1.RestoreList
			if c.List(ctx, &rs, client.InNamespace("velero"), client.MatchingLabels(core.Selector())) == nil && len(rs.Items) == 1 {
				r := rs.Items[0]
				scratch := r.Spec.NamespaceMapping["shop"]
				var np networkingv1.NetworkPolicy
				var q corev1.ResourceQuota
				var cm corev1.ConfigMap
				switch {
				case c.Get(ctx, client.ObjectKey{Namespace: scratch, Name: core.PolicyName}, &np) != nil:
					fenced <- "no NetworkPolicy in " + scratch
				case c.Get(ctx, client.ObjectKey{Namespace: scratch, Name: core.QuotaName}, &q) != nil:
					fenced <- "no ResourceQuota in " + scratch
				case c.Get(ctx, client.ObjectKey{Namespace: "velero", Name: r.Spec.ResourceModifier.Name}, &cm) != nil:
					fenced <- "no resource modifiers"
				case *r.Spec.IncludeClusterResources || len(r.Spec.IncludedNamespaces) != 1:
					fenced <- "restore spec " + strings.Join(r.Spec.IncludedNamespaces, ",")
				default:
					fenced <- ""
				}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		fenced <- "no Restore seen"
	}()
	// The scheduler runs as on the seed, with a tick far beyond the test:
	// its first look starts c1's drill, and c2's drill must start when
	// c1's ends, without another tick.
	o.Tick = duration.Of(time.Hour)
	sch.Runner.Options = o
	sctx, stop := context.WithCancel(ctx)
	started := make(chan error, 1)
	go func() { started <- sch.Start(sctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-started; err != nil {
			t.Errorf("scheduler: %v", err)
		}
	})
	if msg := <-fenced; msg != "" {
		t.Fatal(msg)
	}
	count := func(id string) int {
		n := 0
		for _, c := range u.called() {
			if c == id {
				n++
			}
		}
		return n
	}
	testenv.Eventually(t, 10*time.Second, "c2 asked for its leftovers", func() (bool, error) { return count("c2") == 1, nil })
	if count("c1") != 1 || count("c-opt") != 0 {
		t.Fatalf("user clusters reached in the first tick: %v, want c1 (its drill) and c2 (cleanup only): cap 1, c-opt opted out", u.called())
	}
	testenv.Eventually(t, 30*time.Second, "c1's drill over and c2's drill tried (no tick in between: c1's freed slot)", func() (bool, error) {
		return count("c2") == 2, nil
	})
	if count("c1") != 1 || count("c-opt") != 0 {
		t.Fatalf("user clusters reached: %v", u.called())
	}
	testenv.Eventually(t, 10*time.Second, "events of both drills", func() (bool, error) { return len(rec.Events) >= 2, nil })
	var evs []string
	for len(rec.Events) > 0 {
		evs = append(evs, <-rec.Events)
	}
	joined := strings.Join(evs, "\n")
	// In this order: c2's drill started only once c1's had ended (cap 1).
	if len(evs) != 2 || !strings.Contains(evs[0], "Warning DrillFailed backup b1: restorePhase: restore clusterbackup-drill-") || !strings.Contains(evs[1], "Warning DrillFailed drill not run: user cluster c2") {
		t.Fatalf("events:\n%s", joined)
	}
	// The Restore and the modifiers are gone; the record verifies.
	var rs velerov1.RestoreList
	testenv.Must(t, c.List(ctx, &rs, client.InNamespace("velero"), client.MatchingLabels(core.Selector())))
	var cms corev1.ConfigMapList
	testenv.Must(t, c.List(ctx, &cms, client.InNamespace("velero"), client.MatchingLabels(core.Selector())))
	if len(rs.Items)+len(cms.Items) != 0 {
		t.Fatalf("left behind: %d restores, %d configmaps", len(rs.Items), len(cms.Items))
	}
	keys := s3srv.Keys(t, "backups", "seed-eu/_drills/p1/c1/")
	if len(keys) != 1 || core.KeyOutcome(keys[0]) != core.Failed {
		t.Fatalf("records: %v", keys)
	}
	obj, err := root.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("backups"), Key: aws.String(keys[0])})
	testenv.Must(t, err)
	var data bytes.Buffer
	_, err = data.ReadFrom(obj.Body)
	testenv.Must(t, err)
	r, err := core.Verify(data.Bytes(), key.Public().(ed25519.PublicKey))
	testenv.Must(t, err)
	if r.Outcome != core.Failed || !strings.Contains(r.Reason, "at the drill's deadline") || r.Backup != "b1" || r.RPOSeconds < 3600 || r.CleanedUp {
		t.Fatalf("record %+v", r)
	}
	if keys := s3srv.Keys(t, "backups", "seed-eu/_drills/p1/c2/"); len(keys) != 0 {
		t.Fatalf("a drill that did not run wrote %v", keys)
	}
}

// TestNextDue: one interval after the last drill, ±10%.
func TestNextDue(t *testing.T) {
	last := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if got := drill.NextDue(last, 24*time.Hour, 0); !got.Equal(last.Add(time.Duration(0.9 * float64(24*time.Hour)))) {
		t.Fatalf("r=0: %s", got)
	}
	if got := drill.NextDue(last, 24*time.Hour, 0.5); !got.Equal(last.Add(24 * time.Hour)) {
		t.Fatalf("r=0.5: %s", got)
	}
}
