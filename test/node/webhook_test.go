package node

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/renderer"
)

const webhookName = "clusterbackup-webhook"

var webhookLabels = map[string]string{"app.kubernetes.io/name": webhookName}

// TestUserWebhookAsDeployed: the rendered user webhook runs as its
// Deployment (2 replicas, PDB, Service) from the --registry clusterbackup
// image; the API server calls it through the Service for Velero's objects
// and ours: defaults filled on a velero-CLI Backup, a second default BSL
// denied, Velero's own status writes admitted (BSL Available). Then one
// replica is deleted during a burst of Backup creates: none fails.
func TestUserWebhookAsDeployed(t *testing.T) {
	ctx := context.Background()
	n := nodeFor(t)
	c := n.Client
	dumpOnFailure(t, n)
	ca, crt, key, err := n.ServingCert("webhook", webhookName+"."+veleroNS+".svc", webhookName+"."+veleroNS+".svc.cluster.local")
	testenv.Must(t, err)
	// The serving certificate is what cert-manager would write; the
	// configurations get the CA as webhook.tls.caBundle.
	testenv.Must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: veleroNS}}))
	testenv.Must(t, c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "clusterbackup-webhook-tls", Namespace: veleroNS},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": ca},
	}))
	r := deployRelease(t, n, releaseOptions{Render: renderer.Options{Values: map[string]any{
		"webhook": map[string]any{
			"enabled": true,
			"tls":     map[string]any{"caBundle": base64.StdEncoding.EncodeToString(ca), "certManager": map[string]any{"enabled": false}},
		},
	}}})
	if want := n.Images["clusterbackup"].Ref; !slices.Contains(r.images(), want) {
		t.Fatalf("the render does not run the built clusterbackup image %s: %v", want, r.images())
	}
	figure(t, "2 webhook pods Ready after apply", waitPodsReady(t, c, veleroNS, webhookLabels, 2, 3*time.Minute))
	var pdb policyv1.PodDisruptionBudget
	testenv.Must(t, c.Get(ctx, keyOf(veleroNS, webhookName), &pdb))
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Fatalf("PDB minAvailable = %v, want 1", pdb.Spec.MinAvailable)
	}
	testenv.Must(t, c.Get(ctx, keyOf(veleroNS, webhookName), &corev1.Service{}))
	// Without the preStop sleep a deleted replica stopped listening before
	// kube-proxy dropped it, and the burst below saw "connection refused".
	var dep appsv1.Deployment
	testenv.Must(t, c.Get(ctx, keyOf(veleroNS, webhookName), &dep))
	if lc := dep.Spec.Template.Spec.Containers[0].Lifecycle; lc == nil || lc.PreStop == nil || lc.PreStop.Sleep == nil || lc.PreStop.Sleep.Seconds != 5 {
		t.Fatalf("the webhook container has no 5s preStop sleep: %+v", lc)
	}
	waitEndpoints(t, c, 2)
	waitPodsReady(t, c, veleroNS, map[string]string{"deploy": "velero"}, 1, 3*time.Minute)
	waitBSLAvailable(t, c, 2*time.Minute)

	// Mutation through the Service: a velero-CLI Backup gets our defaults
	// (the mutating admission policies are off by default, so only the
	// webhook can have filled them).
	testenv.Must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNS}}))
	createCLIBackup(t, c, "via-service")
	var b velerov1.Backup
	testenv.Must(t, c.Get(ctx, keyOf(veleroNS, "via-service"), &b))
	if b.Spec.TTL.Duration != 720*time.Hour || b.Spec.StorageLocation != "default" || b.Spec.DefaultVolumesToFsBackup == nil || !*b.Spec.DefaultVolumesToFsBackup {
		t.Fatalf("the webhook did not fill the defaults: ttl=%s storageLocation=%q defaultVolumesToFsBackup=%v", b.Spec.TTL.Duration, b.Spec.StorageLocation, b.Spec.DefaultVolumesToFsBackup)
	}
	// Validation through the Service: a second default BSL is denied.
	err = c.Create(ctx, &velerov1.BackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: "second", Namespace: veleroNS},
		Spec: velerov1.BackupStorageLocationSpec{Provider: "aws", Default: true,
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "other"}},
			Config:      map[string]string{"region": s3env.Region}},
	})
	if err == nil || !strings.Contains(err.Error(), "default") {
		t.Fatalf("a second default BSL: err = %v, want a denial naming the default", err)
	}
	if phase := waitBackupDone(t, c, "via-service", 3*time.Minute); phase != velerov1.BackupPhaseCompleted {
		t.Fatalf("backup via-service ended %s: %s", phase, backupFailure(c, "via-service"))
	}

	webhookReplicaDeletedDuringBurst(t, n)
}

// webhookReplicaDeletedDuringBurst creates Backups (dry-run: admission runs
// in full, nothing is stored, Velero does no work) from 4 clients, about 100
// a second, while one webhook pod is deleted as a node drain would, and
// until that pod is gone and its replacement Ready; no create may fail.
func webhookReplicaDeletedDuringBurst(t *testing.T, n *node.Node) {
	ctx := context.Background()
	c := n.Client
	pods, err := readyPods(c, veleroNS, webhookLabels)
	testenv.Must(t, err)
	const workers = 4
	var sent, failed atomic.Int64
	var mu sync.Mutex
	var errs []string
	var maxLat time.Duration
	var wg sync.WaitGroup
	stop := make(chan struct{})
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(30 * time.Millisecond):
				}
				t0 := time.Now()
				err := c.Create(ctx, &velerov1.Backup{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("burst-%d-%d", w, i), Namespace: veleroNS},
					Spec:       velerov1.BackupSpec{IncludedNamespaces: []string{appNS}},
				}, client.DryRunAll)
				lat := time.Since(t0)
				sent.Add(1)
				mu.Lock()
				maxLat = max(maxLat, lat)
				if err != nil {
					failed.Add(1)
					errs = append(errs, err.Error())
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second)
	victim := pods[0]
	deleted := time.Now()
	testenv.Must(t, c.Delete(ctx, &victim))
	testenv.Eventually(t, 2*time.Minute, "deleted webhook pod gone", func() (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(&victim), &corev1.Pod{})
		return apierrors.IsNotFound(err), err
	})
	gone := time.Since(deleted)
	replaced := waitPodsReady(t, c, veleroNS, webhookLabels, 2, 2*time.Minute) + gone
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	burst := time.Since(start)
	t.Logf("FIGURE webhook replica deleted during a burst: %d dry-run Backup creates from %d clients in %s (%.0f/s), %d failed, slowest %s; the deleted pod was gone after %s, 2 Ready again after %s",
		sent.Load(), workers, burst.Round(10*time.Millisecond), float64(sent.Load())/burst.Seconds(), failed.Load(), maxLat.Round(time.Millisecond), gone.Round(10*time.Millisecond), replaced.Round(10*time.Millisecond))
	if failed.Load() > 0 {
		t.Fatalf("%d of %d Backup creates failed while a webhook replica went away, e.g. %s", failed.Load(), sent.Load(), errs[0])
	}
}

// waitEndpoints waits until the webhook Service has want ready endpoints.
func waitEndpoints(t *testing.T, c client.Client, want int) {
	t.Helper()
	testenv.Eventually(t, time.Minute, fmt.Sprintf("%d ready webhook endpoints", want), func() (bool, error) {
		var list discoveryv1.EndpointSliceList
		if err := c.List(context.Background(), &list, client.InNamespace(veleroNS), client.MatchingLabels{discoveryv1.LabelServiceName: webhookName}); err != nil {
			return false, err
		}
		ready := 0
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && *e.Conditions.Ready {
					ready++
				}
			}
		}
		return ready >= want, fmt.Errorf("%d ready", ready)
	})
}
