package rollout_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/controllers/rollout"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// move is one change the seed stored, in the seed's order: the rollout
// state's phase, wave or members, or the generation a cluster's release
// state records (cluster set), or any other write of a cluster's release
// state (write set).
type move struct {
	cluster, generation string
	write               bool
	phase               rollout.Phase
	target, wave        string
	members, passed     string
}

// seedLog records the moves of the state namespace's ConfigMaps through one
// watch, so their order is the seed's (resourceVersion) order, however
// quickly the waves pass.
type seedLog struct {
	mu    sync.Mutex
	moves []move
}

// watchSeed starts a seedLog on the seed until the test ends.
func watchSeed(t *testing.T, seed *kubeenv.ControlPlane) *seedLog {
	t.Helper()
	cs, err := kubernetes.NewForConfig(seed.Config)
	testenv.Must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	list, err := cs.CoreV1().ConfigMaps(stateNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	w, err := cs.CoreV1().ConfigMaps(stateNS).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	l := &seedLog{}
	last := map[string]move{}
	for i := range list.Items {
		if m, ok := moveOf(&list.Items[i]); ok {
			last[list.Items[i].Name] = m
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if !ok || ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			m, ok := moveOf(cm)
			if !ok {
				continue
			}
			prev, seen := last[cm.Name]
			last[cm.Name] = m
			if seen && m == prev && m.cluster != "" {
				m.write = true // written, its generation unchanged
			} else if seen && m == prev {
				continue
			}
			l.mu.Lock()
			l.moves = append(l.moves, m)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.Stop(); cancel(); <-done })
	return l
}

// moveOf reads what a state ConfigMap says; ok false for others.
func moveOf(cm *corev1.ConfigMap) (move, bool) {
	switch {
	case cm.Name == rollout.StateConfigMapName:
		return move{phase: rollout.Phase(cm.Data["phase"]), target: cm.Data["targetGeneration"], wave: cm.Data["wave"], members: cm.Data["members"], passed: cm.Data["passed"]}, true
	case strings.HasPrefix(cm.Name, release.StateConfigMapPrefix):
		return move{cluster: strings.TrimPrefix(cm.Name, release.StateConfigMapPrefix), generation: cm.Annotations[kkpv1.ReleaseGenerationAnnotation]}, true
	}
	return move{}, false
}

// all returns the moves recorded so far.
func (l *seedLog) all() []move {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.moves)
}

// backup takes a Velero backup of a small namespace on c through the real
// Velero server and returns it Completed.
func backup(t *testing.T, c *userCluster, name string) *velerov1.Backup {
	t.Helper()
	ctx := context.Background()
	const ns = "shop"
	testenv.Must(t, c.kube.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	testenv.Must(t, c.kube.Client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: ns}, Data: map[string]string{"k": "v"}}))
	testenv.Must(t, c.kube.Client.Create(ctx, &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: veleroNS},
		Spec:       velerov1.BackupSpec{IncludedNamespaces: []string{ns}},
	}))
	var b velerov1.Backup
	testenv.Eventually(t, 90*time.Second, "backup "+name+" Completed", func() (bool, error) {
		if err := c.kube.Client.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: name}, &b); err != nil {
			return false, err
		}
		switch b.Status.Phase {
		case velerov1.BackupPhaseFailed, velerov1.BackupPhaseFailedValidation, velerov1.BackupPhasePartiallyFailed:
			t.Fatalf("backup %s ended %s: %v %s", name, b.Status.Phase, b.Status.ValidationErrors, b.Status.FailureReason)
		}
		return b.Status.Phase == velerov1.BackupPhaseCompleted, errors.New("phase " + string(b.Status.Phase))
	})
	return &b
}

// managedBSL returns the managed (default) BSL of c.
func managedBSL(t *testing.T, c *userCluster) velerov1.BackupStorageLocation {
	t.Helper()
	var list velerov1.BackupStorageLocationList
	testenv.Must(t, c.kube.Client.List(context.Background(), &list, client.InNamespace(veleroNS)))
	for _, bsl := range list.Items {
		if bsl.Spec.Default {
			return bsl
		}
	}
	t.Fatalf("cluster %s has no default BSL among %d", c.id, len(list.Items))
	return velerov1.BackupStorageLocation{}
}

// index returns the index of the first move that ok accepts, or -1.
func index(ms []move, ok func(move) bool) int {
	return slices.IndexFunc(ms, ok)
}

// waves condenses the moves of the rollout to target to its waves as they
// started ("wave 1 [b] passed [a]": the members and the clusters passed
// before) and its completion.
func waves(ms []move, target string) []string {
	var out []string
	for _, m := range ms {
		switch {
		case m.cluster != "", m.target != target:
		case m.phase == rollout.PhaseComplete:
			out = append(out, "complete")
		case m.members != "":
			out = append(out, "wave "+m.wave+" ["+m.members+"] passed ["+m.passed+"]")
		}
	}
	return out
}
