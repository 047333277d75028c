package node

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestFSBBackupRestore: the default render as pods — Velero and node-agent
// Ready, BSL Available, a PVC on a local PV backed up with File System Backup
// (on by default) into the cluster's prefix only, restore drills of that
// backup (drillAcceptance, issue #28), the namespace deleted and restored
// through the restore helper, checksums equal.
func TestFSBBackupRestore(t *testing.T) {
	runFSB(t, renderer.Options{}, true)
}

// TestFSBBackupRestoreHardened is the same with the hardened overlay,
// without the drills.
func TestFSBBackupRestoreHardened(t *testing.T) {
	runFSB(t, renderer.Options{Overlay: "hardened"}, false)
}

func runFSB(t *testing.T, ro renderer.Options, drills bool) {
	n := nodeFor(t)
	c := n.Client
	r := deployRelease(t, n, releaseOptions{Render: ro})
	for _, img := range r.images() {
		if !strings.HasPrefix(img, n.Registry+"/") {
			t.Fatalf("rendered image %s does not come from the --registry %s", img, n.Registry)
		}
	}
	dumpOnFailure(t, n)
	figure(t, "velero pod Ready after apply", waitPodsReady(t, c, veleroNS, map[string]string{"deploy": "velero"}, 1, 3*time.Minute))
	figure(t, "node-agent pod Ready after apply", waitPodsReady(t, c, veleroNS, map[string]string{"name": "node-agent"}, 1, 3*time.Minute))
	figure(t, "BSL Available after pods Ready", waitBSLAvailable(t, c, 2*time.Minute))

	sums := createWorkload(t, n, n.Images["pause"].Ref)
	waitPodsReady(t, c, appNS, map[string]string{"app": appPod}, 1, 2*time.Minute)
	if drills {
		drillExtras(t, c, n.Images["pause"].Ref)
	}

	backupStart := time.Now()
	createCLIBackup(t, c, "shop-1")
	if phase := waitBackupDone(t, c, "shop-1", 5*time.Minute); phase != velerov1.BackupPhaseCompleted {
		t.Fatalf("backup shop-1 ended %s: %s", phase, backupFailure(c, "shop-1"))
	}
	figure(t, "backup with FSB of 9 MiB (create to Completed)", time.Since(backupStart))
	pvbs := podVolumeBackups(t, c, "shop-1")
	if len(pvbs) != 1 || pvbs[0].Status.Phase != velerov1.PodVolumeBackupPhaseCompleted || pvbs[0].Spec.Volume != "data" {
		t.Fatalf("want one Completed PodVolumeBackup of volume data, got %s", describePVBs(pvbs))
	}
	keys := r.s3.Keys(t, bucket, "")
	var kopia int
	for _, k := range keys {
		if !strings.HasPrefix(k, r.prefix+"/") {
			t.Fatalf("object %q lies outside the cluster prefix %s/", k, r.prefix)
		}
		if strings.HasPrefix(k, r.prefix+"/kopia/"+appNS+"/") {
			kopia++
		}
	}
	if kopia == 0 {
		t.Fatalf("no Kopia repository data under %s/kopia/%s/; keys: %v", r.prefix, appNS, keys)
	}

	if drills {
		drillAcceptance(t, n, r, sums)
	}
	restoreAndVerify(t, n, "shop-1", sums)
}

// restoreAndVerify deletes the workload's namespace, restores it from
// backup onto a fresh local PV and checks the File System Restore: one
// Completed PodVolumeRestore, the restore-wait init container from the
// rendered Velero image, the same file checksums.
func restoreAndVerify(t *testing.T, n *node.Node, backup string, sums map[string]string) {
	t.Helper()
	c := n.Client
	delStart := time.Now()
	deleteNamespace(t, c, appNS)
	figure(t, "namespace deletion (namespace controller)", time.Since(delStart))
	restoreDir := createLocalPV(t, n, "restored-"+backup)
	restoreStart := time.Now()
	name := backup + "-restore"
	testenv.Must(t, c.Create(context.Background(), &velerov1.Restore{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: veleroNS},
		Spec:       velerov1.RestoreSpec{BackupName: backup},
	}))
	if phase := waitRestoreDone(t, c, name, 5*time.Minute); phase != velerov1.RestorePhaseCompleted {
		t.Fatalf("restore %s ended %s", name, phase)
	}
	figure(t, "restore with FSB (create to Completed)", time.Since(restoreStart))
	pvrs := podVolumeRestores(t, c, name)
	if len(pvrs) != 1 || pvrs[0].Status.Phase != velerov1.PodVolumeRestorePhaseCompleted {
		t.Fatalf("want one Completed PodVolumeRestore, got %d: %+v", len(pvrs), pvrs)
	}
	waitPodsReady(t, c, appNS, map[string]string{"app": appPod}, 1, 2*time.Minute)
	checkRestoreHelper(t, c, n.Images["velero"].Ref)
	if got := checksums(t, restoreDir); !maps.Equal(got, sums) {
		t.Fatalf("restored files differ:\nwant %v\ngot  %v", sums, got)
	}
}

// createCLIBackup creates a Backup the way `velero backup create NAME
// --include-namespaces shop` does: zero durations, no storage location, no
// File System Backup choice (the server's default applies).
func createCLIBackup(t *testing.T, c client.Client, name string) {
	t.Helper()
	testenv.Must(t, c.Create(context.Background(), &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: veleroNS},
		Spec: velerov1.BackupSpec{
			IncludedNamespaces:   []string{appNS},
			TTL:                  metav1.Duration{},
			CSISnapshotTimeout:   metav1.Duration{},
			ItemOperationTimeout: metav1.Duration{},
		},
	}))
}

func backupFailure(c client.Client, name string) string {
	var b velerov1.Backup
	if err := c.Get(context.Background(), keyOf(veleroNS, name), &b); err != nil {
		return err.Error()
	}
	return b.Status.FailureReason + " " + strings.Join(b.Status.ValidationErrors, "; ")
}

func podVolumeBackups(t *testing.T, c client.Client, backup string) []velerov1.PodVolumeBackup {
	t.Helper()
	var list velerov1.PodVolumeBackupList
	testenv.Must(t, c.List(context.Background(), &list, client.InNamespace(veleroNS), client.MatchingLabels{velerov1.BackupNameLabel: backup}))
	return list.Items
}

func describePVBs(pvbs []velerov1.PodVolumeBackup) string {
	var s []string
	for _, p := range pvbs {
		s = append(s, p.Name+" "+p.Spec.Volume+" "+string(p.Status.Phase)+" "+p.Status.Message)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func podVolumeRestores(t *testing.T, c client.Client, restore string) []velerov1.PodVolumeRestore {
	t.Helper()
	var list velerov1.PodVolumeRestoreList
	testenv.Must(t, c.List(context.Background(), &list, client.InNamespace(veleroNS), client.MatchingLabels{velerov1.RestoreNameLabel: restore}))
	return list.Items
}

// checkRestoreHelper asserts the restored pod got Velero's restore-wait init
// container from the rendered (air-gap) image and that it ran to success.
func checkRestoreHelper(t *testing.T, c client.Client, veleroImage string) {
	t.Helper()
	var p corev1.Pod
	testenv.Must(t, c.Get(context.Background(), keyOf(appNS, appPod), &p))
	i := slices.IndexFunc(p.Spec.InitContainers, func(c corev1.Container) bool { return c.Name == "restore-wait" })
	if i < 0 {
		t.Fatalf("restored pod has no restore-wait init container: %+v", p.Spec.InitContainers)
	}
	if img := p.Spec.InitContainers[i].Image; img != veleroImage {
		t.Fatalf("restore helper image %s, want the rendered %s", img, veleroImage)
	}
	for _, s := range p.Status.InitContainerStatuses {
		if s.Name == "restore-wait" && (s.State.Terminated == nil || s.State.Terminated.ExitCode != 0) {
			t.Fatalf("restore-wait did not succeed: %+v", s.State)
		}
	}
}

// deleteNamespace deletes a namespace and waits until the namespace
// controller has removed it with its contents.
func deleteNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	testenv.Must(t, c.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}))
	testenv.Eventually(t, 2*time.Minute, "namespace "+name+" gone", func() (bool, error) {
		err := c.Get(context.Background(), client.ObjectKey{Name: name}, &corev1.Namespace{})
		return apierrors.IsNotFound(err), err
	})
}

// figure logs a measured duration in a form docs/benchmarks.md quotes.
func figure(t *testing.T, what string, d time.Duration) {
	t.Helper()
	t.Logf("FIGURE %s: %s", what, d.Round(10*time.Millisecond))
}

// dumpOnFailure logs the Velero namespace's pods and the Velero and
// node-agent logs (through the kubelet's log files) when the test fails.
func dumpOnFailure(t *testing.T, n *node.Node) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		t.Logf("velero pods: %s", podStates(n.Client, veleroNS, nil))
		t.Logf("shop pods: %s", podStates(n.Client, appNS, nil))
		t.Logf("container logs:\n%s", n.ContainerLogTails(veleroNS, 40))
	})
}
