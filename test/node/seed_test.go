package node

import (
	"context"
	"encoding/base64"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/renderer"
)

const (
	seedNS        = "kubermatic"
	seedReleaseNS = "clusterbackup"
	seedName      = "clusterbackup-seed"
)

// seedPodLabels select the seed chart's webhook pods, controllerPodLabels
// its controllers pods.
var (
	seedPodLabels       = map[string]string{"app.kubernetes.io/instance": seedName, "app.kubernetes.io/component": "seed-webhook"}
	controllerPodLabels = map[string]string{"app.kubernetes.io/instance": seedName, "app.kubernetes.io/component": "seed-controllers"}
)

// TestSeedWebhookAsDeployed: the seed side installed from `clusterbackup
// render --seed` (the seed chart, its RBAC included: the webhooks and the
// controllers as two Deployments) runs from the built image, the webhooks
// behind their Service, and the API server calls it for CBSL creates: a
// CBSL on the reachable S3 server is admitted and the status loop marks it
// Available; one whose endpoint refuses connections is denied with the
// connect failure, within the check budget. Setting a Cluster's backup
// location is then the only step: its credentials and repository password
// come from the credentials loop, its Velero release from the release loop
// (the node stands in for its user cluster, reached with KKP's
// internal-admin-kubeconfig); Velero and node-agent become Ready, the
// managed BSL Available on the cluster's prefix, and a Backup with File
// System Backup of PV data Completes. Switching the Cluster to another CBSL
// keeps that Backup listed (on the read-only previous BSL) and restorable,
// and the next Backup lands under the new prefix only.
//
// It is also KKP's own end-to-end test of cluster backup, step by step,
// with objects shaped exactly as that test writes them (kkp_test.go): the
// CBSL's Secret as KKP writes it (two keys, no labels) leaves the CBSL
// Unavailable with a message naming the rule until the documented label is
// set; after enabling, Deployment velero/velero is healthy and BSL
// default-cluster-backup-bsl present; a Backup of a kube-public ConfigMap
// with that storageLocation Completes, the ConfigMap is deleted and
// restored; disabling backup at the end keeps every Backup listed.
func TestSeedWebhookAsDeployed(t *testing.T) {
	ctx := context.Background()
	n := nodeFor(t)
	c := n.Client
	dumpOnFailure(t, n)
	s3 := s3env.StartOn(t, node.IP)
	testenv.Must(t, s3.CreateBucket(ctx, bucket))
	for _, f := range []string{"kubermatic.k8c.io_clusterbackupstoragelocations.yaml", "kubermatic.k8c.io_clusters.yaml"} {
		for _, o := range readObjects(t, testenv.RepoRoot()+"/api/v1/crds/"+f) {
			applyObject(t, c, o)
		}
	}
	deploySeedWebhook(t, n)
	figure(t, "2 seed webhook pods Ready after apply", waitPodsReady(t, c, seedReleaseNS, seedPodLabels, 2, 3*time.Minute))
	figure(t, "2 seed controllers pods Ready after apply", waitPodsReady(t, c, seedReleaseNS, controllerPodLabels, 2, 3*time.Minute))

	// The credential Secret exactly as KKP's e2e test writes it: the two
	// keys, no labels.
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "backups-eu-credentials", Namespace: seedNS},
		Data:       map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(s3.RootAccessKey), kkpv1.CredentialSecretAccessKey: []byte(s3.RootSecretKey)},
	}
	testenv.Must(t, c.Create(ctx, secret))
	// Shaped as KKP's dashboard writes it: key "cloud-credentials", which
	// the Secret (only the two KKP keys) does not hold.
	cbsl := func(name, endpoint string) *kkpv1.ClusterBackupStorageLocation {
		return &kkpv1.ClusterBackupStorageLocation{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: seedNS, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
			Spec: velerov1.BackupStorageLocationSpec{
				Provider:    "aws",
				StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: cbslPre}},
				Config:      map[string]string{"region": s3env.Region, "s3Url": endpoint, "s3ForcePathStyle": "true"},
				Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "backups-eu-credentials"}, Key: "cloud-credentials"},
			},
		}
	}
	// Where clusterbackup's rule differs from KKP's: only a Secret of the
	// CBSL's project is read. The CBSL is admitted unchecked and its status
	// names the rule; docs/migration.md's one-line fix labels the Secret.
	testenv.Must(t, createRetryingWebhookStart(ctx, c, cbsl("backups-eu", s3.Endpoint)))
	t.Logf("CBSL status with KKP's unlabelled Secret: %s", waitCBSLMessage(t, c, "backups-eu", kkpSecretMessage(secret.Name, projectID)))
	// kubectl -n kubermatic label secret backups-eu-credentials project-id=<project>
	testenv.Must(t, c.Patch(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secret.Name, Namespace: seedNS}},
		client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"`+kkpv1.ProjectIDLabel+`":"`+projectID+`"}}}`))))
	testenv.Eventually(t, 2*time.Minute, "CBSL backups-eu Available (status loop)", func() (bool, error) {
		var got kkpv1.ClusterBackupStorageLocation
		if err := c.Get(ctx, keyOf(seedNS, "backups-eu"), &got); err != nil {
			return false, err
		}
		return got.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, nil
	})
	closed, err := testenv.FreePort()
	testenv.Must(t, err)
	t0 := time.Now()
	err = c.Create(ctx, cbsl("refused", "http://"+node.IP+":"+itoa(closed)))
	took := time.Since(t0)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "connect") {
		t.Fatalf("a CBSL whose endpoint refuses connections: err = %v, want a denial naming the connect failure", err)
	}
	figure(t, "CBSL with a refusing endpoint denied", took)

	// The credentials loop, under the chart's RBAC, in the pods.
	const clusterID = "nd8s2kq4wz"
	kc, err := os.ReadFile(n.Kubeconfig)
	testenv.Must(t, err)
	testenv.Must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "cluster-" + clusterID}}))
	testenv.Must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "internal-admin-kubeconfig", Namespace: "cluster-" + clusterID}, Data: map[string][]byte{"kubeconfig": kc}}))
	// The Cluster exists without backup; setting its backup location is the
	// only step: the credentials loop delivers the keys, the release loop
	// renders the release with the chart's renderConfig and applies it, and
	// Velero comes up in the user cluster (the node) from those pods alone.
	cl := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: clusterID, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}}}
	testenv.Must(t, c.Create(ctx, cl))
	cl.Spec.BackupConfig = &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: "backups-eu"}}
	t0 = time.Now()
	testenv.Must(t, c.Update(ctx, cl))
	testenv.Eventually(t, time.Minute, "credentials and repository password delivered", func() (bool, error) {
		var cred, repo, kept corev1.Secret
		if err := c.Get(ctx, keyOf(veleroNS, "velero-cloud-credentials"), &cred); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		if err := c.Get(ctx, keyOf(veleroNS, "velero-repo-credentials"), &repo); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		if err := c.Get(ctx, keyOf(seedNS, "clusterbackup-repo-password-"+clusterID), &kept); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		if !strings.Contains(string(cred.Data["cloud"]), "aws_access_key_id="+s3.RootAccessKey) {
			return false, nil
		}
		return len(repo.Data["repository-password"]) >= 32 && string(repo.Data["repository-password"]) == string(kept.Data["repository-password"]), nil
	})
	figure(t, "backup location set to credentials delivered by the pods", time.Since(t0))
	waitPodsReady(t, c, veleroNS, map[string]string{"deploy": "velero"}, 1, 3*time.Minute)
	waitPodsReady(t, c, veleroNS, map[string]string{"name": "node-agent"}, 1, 3*time.Minute)
	waitManagedBSLAvailable(t, c, kkpv1.KKPBSLName, 2*time.Minute)
	figure(t, "backup location set to BSL Available (release loop, goal 60s)", time.Since(t0))
	var dep appsv1.Deployment
	testenv.Must(t, c.Get(ctx, keyOf(veleroNS, "velero"), &dep))
	var applied bool
	for _, mf := range dep.ManagedFields {
		applied = applied || (mf.Manager == "clusterbackup-release" && mf.Operation == metav1.ManagedFieldsOperationApply)
	}
	if !applied {
		t.Fatalf("Velero's Deployment was not applied by the release loop (field managers %v)", dep.ManagedFields)
	}
	// The release loop names a cluster it enables first's managed BSL as
	// KKP does: KKP's e2e scenario runs unchanged.
	var bsl velerov1.BackupStorageLocation
	testenv.Must(t, c.Get(ctx, keyOf(veleroNS, kkpv1.KKPBSLName), &bsl))
	if want := cbslPre + "/" + projectID + "/" + clusterID; bsl.Spec.ObjectStorage.Prefix != want {
		t.Fatalf("managed BSL prefix %q, want %q", bsl.Spec.ObjectStorage.Prefix, want)
	}
	kkpBackupRestore(t, c)

	// A Backup with File System Backup of PV data Completes, into the
	// cluster's prefix.
	sums := createWorkload(t, n, n.Images["pause"].Ref)
	waitPodsReady(t, c, appNS, map[string]string{"app": appPod}, 1, 2*time.Minute)
	backupStart := time.Now()
	createCLIBackup(t, c, "seed-driven-1")
	if phase := waitBackupDone(t, c, "seed-driven-1", 5*time.Minute); phase != velerov1.BackupPhaseCompleted {
		t.Fatalf("backup seed-driven-1 ended %s: %s", phase, backupFailure(c, "seed-driven-1"))
	}
	figure(t, "backup with FSB (create to Completed) on the seed-applied release", time.Since(backupStart))
	pvbs := podVolumeBackups(t, c, "seed-driven-1")
	if len(pvbs) != 1 || pvbs[0].Status.Phase != velerov1.PodVolumeBackupPhaseCompleted {
		t.Fatalf("want one Completed PodVolumeBackup, got %s", describePVBs(pvbs))
	}

	// Storage switch: the Cluster moves to another CBSL of its project. The
	// release loop keeps the old location as the read-only BSL
	// previous-backups-eu, so the old Backup stays listed (Velero's sync
	// moves it there) and restorable; the next Backup lands under the new
	// prefix only.
	t0 = time.Now()
	testenv.Must(t, createRetryingWebhookStart(ctx, c, withPrefix(cbsl("backups-eu-2", s3.Endpoint), cbslPre+"-2")))
	figure(t, "CBSL create admitted (S3 reachability check from the pod)", time.Since(t0))
	testenv.Must(t, c.Get(ctx, client.ObjectKeyFromObject(cl), cl))
	cl.Spec.BackupConfig.BackupStorageLocation.Name = "backups-eu-2"
	t0 = time.Now()
	testenv.Must(t, c.Update(ctx, cl))
	oldPrefix, newPrefix := cbslPre+"/"+projectID+"/"+clusterID, cbslPre+"-2/"+projectID+"/"+clusterID
	testenv.Eventually(t, 3*time.Minute, "managed BSL on the new prefix, previous BSL read-only and Available, the old Backup on it", func() (bool, error) {
		var cur, prev velerov1.BackupStorageLocation
		if err := c.Get(ctx, keyOf(veleroNS, kkpv1.KKPBSLName), &cur); err != nil {
			return false, err
		}
		if err := c.Get(ctx, keyOf(veleroNS, "previous-backups-eu"), &prev); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		var b velerov1.Backup
		if err := c.Get(ctx, keyOf(veleroNS, "seed-driven-1"), &b); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return cur.Spec.ObjectStorage.Prefix == newPrefix && cur.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable &&
			prev.Spec.ObjectStorage.Prefix == oldPrefix && prev.Spec.AccessMode == velerov1.BackupStorageLocationAccessModeReadOnly &&
			prev.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable && b.Spec.StorageLocation == "previous-backups-eu", nil
	})
	figure(t, "storage switch to the old Backup listed on the read-only previous BSL", time.Since(t0))
	restoreAndVerify(t, n, "seed-driven-1", sums)
	// Velero marks the managed BSL's Kopia repositories NotReady on the
	// location change and re-checks them only every 5 minutes; the release
	// loop deleted them with the switch, so this Backup creates them at the
	// new storage and backs the volume up at once.
	createCLIBackup(t, c, "seed-driven-2")
	if phase := waitBackupDone(t, c, "seed-driven-2", 5*time.Minute); phase != velerov1.BackupPhaseCompleted {
		t.Fatalf("backup seed-driven-2 ended %s: %s", phase, backupFailure(c, "seed-driven-2"))
	}
	if keys := s3.Keys(t, bucket, newPrefix+"/backups/seed-driven-2/"); len(keys) == 0 {
		t.Fatalf("the Backup after the switch left nothing under the new prefix %s", newPrefix)
	}
	if keys := s3.Keys(t, bucket, oldPrefix+"/backups/seed-driven-2/"); len(keys) != 0 {
		t.Fatalf("the Backup after the switch wrote under the old prefix: %v", keys)
	}

	// Leader election as the chart sets it up: one of the two controllers
	// pods holds the Lease in the release namespace (the rendered Role
	// grants it).
	var lease coordinationv1.Lease
	testenv.Must(t, c.Get(ctx, keyOf(seedReleaseNS, "clusterbackup-seed-controllers"), &lease))
	var pods corev1.PodList
	testenv.Must(t, c.List(ctx, &pods, client.InNamespace(seedReleaseNS), client.MatchingLabels(controllerPodLabels)))
	holder := ""
	if lease.Spec.HolderIdentity != nil {
		holder = *lease.Spec.HolderIdentity
	}
	var heldByPod bool
	for _, p := range pods.Items {
		heldByPod = heldByPod || strings.HasPrefix(holder, p.Name+"_")
	}
	if !heldByPod {
		t.Fatalf("Lease %s/clusterbackup-seed-controllers held by %q, want one of the controllers pods", seedReleaseNS, holder)
	}

	// KKP's last step: disable backup. Every Backup stays listed.
	kkpDisable(t, c, cl, "test-backup", "seed-driven-1", "seed-driven-2")
}

// withPrefix returns c with the given object storage prefix.
func withPrefix(c *kkpv1.ClusterBackupStorageLocation, prefix string) *kkpv1.ClusterBackupStorageLocation {
	c.Spec.ObjectStorage.Prefix = prefix
	return c
}

// createRetryingWebhookStart creates obj, retrying while the webhook's
// endpoints are still being programmed.
func createRetryingWebhookStart(ctx context.Context, c client.Client, obj client.Object) error {
	var err error
	for range 40 {
		if err = c.Create(ctx, obj); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

// deploySeedWebhook installs the seed side from `clusterbackup render
// --seed` (renderer.RenderSeed, charts/clusterbackup-seed): the chart's
// ServiceAccounts, least-privilege RBAC, the webhook Deployment and the
// controllers Deployment (2 replicas each of the built clusterbackup image;
// the controllers run the status and credentials loops), Service, PDB,
// NetworkPolicy and webhook configurations. Only the serving certificate
// (what cert-manager would write) is made here; its CA becomes
// webhook.tls.caBundle.
func deploySeedWebhook(t *testing.T, n *node.Node) {
	t.Helper()
	ctx := context.Background()
	c := n.Client
	ca, crt, key, err := n.ServingCert("seed", seedName+"."+seedReleaseNS+".svc")
	testenv.Must(t, err)
	for _, ns := range []string{seedReleaseNS, seedNS} {
		testenv.Must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	testenv.Must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: seedName + "-webhook-tls", Namespace: seedReleaseNS}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}))
	ref := n.Images["clusterbackup"].Ref
	i := strings.LastIndex(ref, ":")
	res, err := renderer.RenderSeed(renderer.SeedOptions{Values: map[string]any{
		"namespace":     seedReleaseNS,
		"cbslNamespace": seedNS,
		"image":         map[string]any{"registry": n.Registry, "repository": strings.TrimPrefix(ref[:i], n.Registry+"/"), "tag": ref[i+1:]},
		"statusLoop":    map[string]any{"period": "5s"},
		"releaseLoop":   map[string]any{"renderConfig": map[string]any{"registry": n.Registry}},
		"webhook":       map[string]any{"tls": map[string]any{"caBundle": base64.StdEncoding.EncodeToString(ca)}},
		// The addresses the node's API server calls the webhook from: the
		// node's own and the bridge's (its route to pods and Services). The
		// test's bridge CNI enforces no NetworkPolicy, so this shows the
		// chart's limited form deploys, not the filtering.
		"networkPolicy": map[string]any{"apiServerCIDRs": []any{node.IP + "/32", netip.MustParsePrefix(node.PodCIDR).Addr().Next().String() + "/32"}},
	}})
	testenv.Must(t, err)
	objs, err := res.Objects()
	testenv.Must(t, err)
	deployments := 0
	for _, o := range objs {
		if o.GetKind() == "Secret" {
			t.Fatalf("the seed render holds Secret %s", o.GetName())
		}
		if o.GetKind() == "Deployment" {
			deployments++
			cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			if image, _, _ := unstructured.NestedString(cs[0].(map[string]any), "image"); image != ref {
				t.Fatalf("Deployment %s runs image %q, want the built %q", o.GetName(), image, ref)
			}
		}
		applyObject(t, c, o)
	}
	if deployments != 2 {
		t.Fatalf("the seed render holds %d Deployments, want the webhooks' and the controllers'", deployments)
	}
}
