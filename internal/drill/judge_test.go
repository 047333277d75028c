package drill

import (
	"strings"
	"testing"

	"github.com/vmware-tanzu/velero/pkg/apis/velero/shared"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func restore(phase velerov1.RestorePhase, errs, total, restored int) *velerov1.Restore {
	return &velerov1.Restore{ObjectMeta: metav1.ObjectMeta{Name: "clusterbackup-drill-x"}, Status: velerov1.RestoreStatus{
		Phase: phase, Errors: errs, Progress: &velerov1.RestoreProgress{TotalItems: total, ItemsRestored: restored},
	}}
}

func pvb(ns, snap string, bytes int64) velerov1.PodVolumeBackup {
	return velerov1.PodVolumeBackup{
		Spec:   velerov1.PodVolumeBackupSpec{Pod: corev1.ObjectReference{Namespace: ns, Name: "db"}, Volume: "data"},
		Status: velerov1.PodVolumeBackupStatus{Phase: velerov1.PodVolumeBackupPhaseCompleted, SnapshotID: snap, Progress: shared.DataMoveOperationProgress{TotalBytes: bytes}},
	}
}

func pvr(snap string, phase velerov1.PodVolumeRestorePhase, done int64) velerov1.PodVolumeRestore {
	return velerov1.PodVolumeRestore{
		Spec:   velerov1.PodVolumeRestoreSpec{SnapshotID: snap, Volume: "data"},
		Status: velerov1.PodVolumeRestoreStatus{Phase: phase, Progress: shared.DataMoveOperationProgress{BytesDone: done, TotalBytes: done}, Message: "kopia: blob not found"},
	}
}

// TestJudge: each check fails on its own fault and the reason names it.
func TestJudge(t *testing.T) {
	ok := Observed{
		Restore: restore(velerov1.RestorePhaseCompleted, 0, 7, 7), Expected: 6, Namespaces: []string{"shop"},
		PodVolumeBackups:  []velerov1.PodVolumeBackup{pvb("shop", "s1", 100), pvb("other", "s2", 5)},
		PodVolumeRestores: []velerov1.PodVolumeRestore{pvr("s1", velerov1.PodVolumeRestorePhaseCompleted, 100)},
	}
	for name, tc := range map[string]struct {
		mutate func(o *Observed)
		reason string
	}{
		"all pass":   {func(*Observed) {}, ""},
		"no restore": {func(o *Observed) { o.Restore = nil }, "restorePhase: no Restore was created"},
		"timed out":  {func(o *Observed) { o.TimedOut = true; o.Restore.Status.Phase = velerov1.RestorePhaseInProgress }, "restorePhase: restore clusterbackup-drill-x still InProgress at the drill's deadline"},
		"failed": {func(o *Observed) {
			o.Restore.Status.Phase = velerov1.RestorePhaseFailed
			o.Restore.Status.FailureReason = "error downloading backup: gzip: unexpected EOF"
		}, "restorePhase: Failed: error downloading backup: gzip: unexpected EOF"},
		"errors": {func(o *Observed) { o.Restore.Status.Errors = 2 }, "errors: 2 errors, 0 warnings"},
		"partially failed": {func(o *Observed) {
			o.Restore.Status.Phase = velerov1.RestorePhasePartiallyFailed
			o.RestoreErrors = []string{"shop: error restoring pods/shop/db: boom"}
		}, "restorePhase: PartiallyFailed: shop: error restoring pods/shop/db: boom"},
		"items short":       {func(o *Observed) { o.Restore.Status.Progress.ItemsRestored = 5 }, "items: 5 of 7 items restored"},
		"fewer than backup": {func(o *Observed) { o.Expected = 9 }, "items: 7 of 7 items restored; the backup holds 9"},
		"pvr missing":       {func(o *Observed) { o.PodVolumeRestores = nil }, "podVolumes: no PodVolumeRestore of shop/db volume data"},
		"pvr failed":        {func(o *Observed) { o.PodVolumeRestores[0].Status.Phase = velerov1.PodVolumeRestorePhaseFailed }, "podVolumes: PodVolumeRestore of shop/db volume data Failed: kopia: blob not found"},
		"bytes short":       {func(o *Observed) { o.PodVolumeRestores[0].Status.Progress.BytesDone = 60 }, "podVolumes: PodVolumeRestore of shop/db volume data restored 60 bytes, its backup wrote 100"},
	} {
		t.Run(name, func(t *testing.T) {
			o := ok
			o.Restore = ok.Restore.DeepCopy()
			o.PodVolumeRestores = append([]velerov1.PodVolumeRestore(nil), ok.PodVolumeRestores...)
			tc.mutate(&o)
			checks, reason := Judge(o)
			if len(checks) != 4 {
				t.Fatalf("%d checks", len(checks))
			}
			if tc.reason == "" && reason != "" || !strings.HasPrefix(reason, tc.reason) {
				t.Fatalf("reason %q, want %q", reason, tc.reason)
			}
		})
	}
}

// TestRecordFailKeepsFirstReason: the first failure stays the reason,
// clipped.
func TestRecordFailKeepsFirstReason(t *testing.T) {
	var r Record
	r.Fail(strings.Repeat("é", 400))
	r.Fail("second")
	if r.Outcome != Failed || len(r.Reason) > MaxReason || !strings.HasSuffix(r.Reason, "…") {
		t.Fatalf("%q", r.Reason)
	}
}
