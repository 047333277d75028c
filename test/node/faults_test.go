package node

import (
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestFaults: the Velero pod is killed while a Backup is InProgress (the
// Backup must end, not hang, and the next one completes); the node-agent
// pod is restarted between that backup and the restore (the restore still
// completes with equal checksums); nothing is written outside the prefix.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	n := nodeFor(t)
	c := n.Client
	r := deployRelease(t, n, releaseOptions{Render: renderer.Options{}})
	dumpOnFailure(t, n)
	veleroLabels := map[string]string{"deploy": "velero"}
	agentLabels := map[string]string{"name": "node-agent"}
	waitPodsReady(t, c, veleroNS, veleroLabels, 1, 3*time.Minute)
	waitPodsReady(t, c, veleroNS, agentLabels, 1, 3*time.Minute)
	waitBSLAvailable(t, c, 2*time.Minute)
	sums := createWorkload(t, n, n.Images["pause"].Ref)
	waitPodsReady(t, c, appNS, map[string]string{"app": appPod}, 1, 2*time.Minute)

	// Kill the Velero pod (no grace) as soon as the Backup is InProgress.
	createCLIBackup(t, c, "killed")
	testenv.Eventually(t, 2*time.Minute, "backup killed InProgress", func() (bool, error) {
		var b velerov1.Backup
		err := c.Get(ctx, keyOf(veleroNS, "killed"), &b)
		if b.Status.Phase == velerov1.BackupPhaseCompleted {
			t.Fatal("backup killed completed before the Velero pod could be killed")
		}
		return b.Status.Phase == velerov1.BackupPhaseInProgress, err
	})
	pods, err := readyPods(c, veleroNS, veleroLabels)
	testenv.Must(t, err)
	killed := time.Now()
	testenv.Must(t, c.Delete(ctx, &pods[0], client.GracePeriodSeconds(0)))
	phase := waitBackupDone(t, c, "killed", 5*time.Minute)
	figure(t, "backup whose Velero pod was killed InProgress ends "+string(phase)+" after the kill", time.Since(killed))
	t.Logf("backup killed: %s", backupFailure(c, "killed"))
	if phase == velerov1.BackupPhaseFailedValidation {
		t.Fatalf("backup killed ended %s", phase)
	}
	waitPodsReady(t, c, veleroNS, veleroLabels, 1, 3*time.Minute)
	figure(t, "replacement Velero pod Ready after the kill", time.Since(killed))

	next := time.Now()
	createCLIBackup(t, c, "after-kill")
	if phase := waitBackupDone(t, c, "after-kill", 5*time.Minute); phase != velerov1.BackupPhaseCompleted {
		t.Fatalf("the backup after the kill ended %s: %s", phase, backupFailure(c, "after-kill"))
	}
	figure(t, "next backup after the kill (create to Completed)", time.Since(next))
	pvbs := podVolumeBackups(t, c, "after-kill")
	if len(pvbs) != 1 || pvbs[0].Status.Phase != velerov1.PodVolumeBackupPhaseCompleted {
		t.Fatalf("want one Completed PodVolumeBackup for after-kill, got %s", describePVBs(pvbs))
	}

	// Restart the node-agent between backup and restore.
	agents, err := readyPods(c, veleroNS, agentLabels)
	testenv.Must(t, err)
	restarted := time.Now()
	testenv.Must(t, c.Delete(ctx, &agents[0]))
	testenv.Eventually(t, 2*time.Minute, "old node-agent pod gone", func() (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(&agents[0]), &corev1.Pod{})
		return err != nil, nil
	})
	waitPodsReady(t, c, veleroNS, agentLabels, 1, 2*time.Minute)
	figure(t, "node-agent restart (delete to new pod Ready)", time.Since(restarted))
	restoreAndVerify(t, n, "after-kill", sums)

	for _, k := range r.s3.Keys(t, bucket, "") {
		if !strings.HasPrefix(k, r.prefix+"/") {
			t.Fatalf("object %q lies outside the cluster prefix %s/", k, r.prefix)
		}
	}
}
