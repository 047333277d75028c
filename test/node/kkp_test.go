package node

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// KKP's end-to-end test of cluster backup
// (kubermatic/kubermatic pkg/test/e2e/cluster-backup/backup_test.go),
// replayed step by step against the seed-driven release: its objects are
// written exactly as that test writes them.

// kkpCanary is the ConfigMap KKP's test backs up, deletes and restores.
func kkpCanary() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: "kube-public"},
		Data:       map[string]string{"backups": "... are fun!"},
	}
}

// kkpBackupRestore runs KKP's scenario once the release is up: Deployment
// velero/velero healthy and BSL velero/default-cluster-backup-bsl present,
// then a Backup of the canary with storageLocation
// default-cluster-backup-bsl Completed, the canary deleted, a Restore of
// the Backup Completed and the canary back.
func kkpBackupRestore(t *testing.T, c client.Client) {
	t.Helper()
	ctx := context.Background()
	testenv.Eventually(t, 3*time.Minute, "Deployment velero/velero healthy (KKP's HealthyDeployment)", func() (bool, error) {
		var d appsv1.Deployment
		if err := c.Get(ctx, keyOf(veleroNS, "velero"), &d); err != nil {
			return false, err
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		return d.Status.ReadyReplicas >= want && d.Status.UpdatedReplicas >= want, nil
	})
	var bsl velerov1.BackupStorageLocation
	testenv.Must(t, c.Get(ctx, keyOf(veleroNS, kkpv1.KKPBSLName), &bsl))
	if !bsl.Spec.Default {
		t.Fatalf("BSL %s is not the default", kkpv1.KKPBSLName)
	}

	canary := kkpCanary()
	testenv.Must(t, c.Create(ctx, canary))
	backup := &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: "test-backup", Namespace: veleroNS},
		Spec: velerov1.BackupSpec{
			StorageLocation:    kkpv1.KKPBSLName,
			IncludedNamespaces: []string{canary.Namespace},
			IncludedResources:  []string{"configmaps"},
		},
	}
	t0 := time.Now()
	testenv.Must(t, c.Create(ctx, backup))
	if phase := waitBackupDone(t, c, backup.Name, 5*time.Minute); phase != velerov1.BackupPhaseCompleted {
		t.Fatalf("KKP's backup ended %s: %s", phase, backupFailure(c, backup.Name))
	}
	figure(t, "KKP's e2e Backup (kube-public ConfigMaps, create to Completed)", time.Since(t0))
	testenv.Must(t, c.Delete(ctx, canary))
	testenv.Eventually(t, time.Minute, "canary deleted", func() (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(canary), &corev1.ConfigMap{})
		return client.IgnoreNotFound(err) == nil && err != nil, nil
	})
	restore := &velerov1.Restore{
		ObjectMeta: metav1.ObjectMeta{Name: "restore-test-backup", Namespace: veleroNS},
		Spec:       velerov1.RestoreSpec{BackupName: backup.Name},
	}
	t0 = time.Now()
	testenv.Must(t, c.Create(ctx, restore))
	if phase := waitRestoreDone(t, c, restore.Name, 5*time.Minute); phase != velerov1.RestorePhaseCompleted {
		t.Fatalf("KKP's restore ended %s", phase)
	}
	figure(t, "KKP's e2e Restore (create to Completed)", time.Since(t0))
	var back corev1.ConfigMap
	testenv.Must(t, c.Get(ctx, client.ObjectKeyFromObject(canary), &back))
	if back.Data["backups"] != canary.Data["backups"] {
		t.Fatalf("restored canary holds %v", back.Data)
	}
}

// kkpSecretMessage is what an operator sees when the CBSL's credential
// Secret is shaped as KKP writes it (only accessKeyId and secretAccessKey,
// no labels): clusterbackup reads only a Secret of the CBSL's project
// (labelled with its project-id or owned by the CBSL), so the CBSL stays
// Unavailable with this message until the Secret is labelled —
// docs/migration.md's one-line fix, which the test applies.
func kkpSecretMessage(secret, project string) string {
	return "no secret " + seedNS + "/" + secret + " of project \"" + project + "\" (label " + kkpv1.ProjectIDLabel + "=" + project + ", or owned by this CBSL)"
}

// waitCBSLMessage waits until CBSL name's status message holds want.
func waitCBSLMessage(t *testing.T, c client.Client, name, want string) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, 2*time.Minute, "CBSL "+name+" status names the rule", func() (bool, error) {
		var got kkpv1.ClusterBackupStorageLocation
		if err := c.Get(context.Background(), keyOf(seedNS, name), &got); err != nil {
			return false, err
		}
		msg = got.Status.Message
		return strings.Contains(msg, want), errors.New("status " + string(got.Status.Phase) + ": " + msg)
	})
	return msg
}

// waitManagedBSLAvailable waits until BSL name in the Velero namespace is
// Available.
func waitManagedBSLAvailable(t *testing.T, c client.Client, name string, timeout time.Duration) {
	t.Helper()
	testenv.Eventually(t, timeout, "BSL "+name+" Available", func() (bool, error) {
		var bsl velerov1.BackupStorageLocation
		if err := c.Get(context.Background(), keyOf(veleroNS, name), &bsl); err != nil {
			return false, err
		}
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, errors.New("phase " + string(bsl.Status.Phase) + " " + bsl.Status.Message)
	})
}

// kkpDisable disables backup as KKP's test does (a merge patch that drops
// spec.backupConfig), waits for the disabled release (Velero's Deployment
// gone) and checks that every Backup named is still listed.
func kkpDisable(t *testing.T, c client.Client, cl *kkpv1.Cluster, backups ...string) {
	t.Helper()
	ctx := context.Background()
	testenv.Must(t, c.Get(ctx, client.ObjectKeyFromObject(cl), cl))
	old := cl.DeepCopy()
	cl.Spec.BackupConfig = nil
	testenv.Must(t, c.Patch(ctx, cl, client.MergeFrom(old)))
	testenv.Eventually(t, 2*time.Minute, "disabled release applied (Deployment velero gone)", func() (bool, error) {
		err := c.Get(ctx, keyOf(veleroNS, "velero"), &appsv1.Deployment{})
		return client.IgnoreNotFound(err) == nil && err != nil, client.IgnoreNotFound(err)
	})
	var list velerov1.BackupList
	testenv.Must(t, c.List(ctx, &list, client.InNamespace(veleroNS)))
	listed := map[string]bool{}
	for _, b := range list.Items {
		listed[b.Name] = true
	}
	for _, b := range backups {
		if !listed[b] {
			t.Errorf("Backup %s is no longer listed after backup was disabled (listed: %v)", b, listed)
		}
	}
	var bsls velerov1.BackupStorageLocationList
	testenv.Must(t, c.List(ctx, &bsls, client.InNamespace(veleroNS)))
	for _, b := range bsls.Items {
		if b.Spec.AccessMode != velerov1.BackupStorageLocationAccessModeReadOnly {
			t.Errorf("BSL %s is %q after backup was disabled, want ReadOnly", b.Name, b.Spec.AccessMode)
		}
	}
}
