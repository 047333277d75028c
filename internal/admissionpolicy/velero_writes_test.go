package admissionpolicy

import (
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// veleroUser is Velero's service account, the identity of its controllers.
const veleroUser = "system:serviceaccount:velero:velero"

// testVeleroWrites replays Velero v1.18's own write sequence (backup queue
// New -> Queued -> ReadyToStart, then the defaulting patch to InProgress,
// then status to Completed) with its identity and merge patches (UPDATEs at admission, because Backup and
// Restore have no status subresource) and asserts that no policy denies any
// step.
func testVeleroWrites(t *testing.T, c *cluster) {
	velero, err := c.ClientAs(veleroUser, "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	patch := func(t *testing.T, obj client.Object, edit func()) {
		t.Helper()
		orig := obj.DeepCopyObject().(client.Object)
		edit()
		wantAllowed(t, velero.Patch(c.ctx, obj, client.MergeFrom(orig)))
	}

	t.Run("Backup", func(t *testing.T) {
		b := cliBackup("velero-run")
		wantAllowed(t, c.Client.Create(c.ctx, b)) // the velero CLI
		now := metav1.NewTime(time.Now().Truncate(time.Second))
		// The backup queue controller: New -> Queued -> ReadyToStart.
		patch(t, b, func() {
			b.Status.Phase = velerov1.BackupPhaseQueued
			b.Status.QueuePosition = 1
		})
		patch(t, b, func() {
			b.Status.Phase = velerov1.BackupPhaseReadyToStart
			b.Status.QueuePosition = 0
		})
		// The backup controller's first pass: spec defaults, labels and
		// phase InProgress in one patch, while the stored phase is
		// ReadyToStart.
		patch(t, b, func() {
			if b.Spec.TTL.Duration == 0 {
				b.Spec.TTL = metav1.Duration{Duration: 720 * time.Hour}
			}
			if b.Spec.StorageLocation == "" {
				b.Spec.StorageLocation = sampleBSL
			}
			if b.Spec.DefaultVolumesToFsBackup == nil {
				b.Spec.DefaultVolumesToFsBackup = ptrTo(true)
			}
			b.Spec.SnapshotMoveData = ptrTo(false)
			b.Spec.ItemOperationTimeout = metav1.Duration{Duration: 4 * time.Hour}
			b.Spec.CSISnapshotTimeout = metav1.Duration{Duration: 10 * time.Minute}
			b.Labels = map[string]string{velerov1.StorageLocationLabel: sampleBSL}
			b.Status.Phase = velerov1.BackupPhaseInProgress
			b.Status.Version = 1
			b.Status.FormatVersion = "1.1.0"
			b.Status.StartTimestamp = &now
			b.Status.Expiration = &metav1.Time{Time: now.Add(720 * time.Hour)}
		})
		patch(t, b, func() { b.Status.Progress = &velerov1.BackupProgress{TotalItems: 10, ItemsBackedUp: 4} })
		patch(t, b, func() { b.Status.Progress.ItemsBackedUp = 10 })
		patch(t, b, func() { b.Status.Phase = velerov1.BackupPhaseWaitingForPluginOperations })
		patch(t, b, func() { b.Status.Phase = velerov1.BackupPhaseFinalizing })
		patch(t, b, func() {
			b.Status.Phase = velerov1.BackupPhaseCompleted
			b.Status.CompletionTimestamp = &now
		})
		// The garbage collector's label, later.
		patch(t, b, func() { b.Labels["velero.io/gc-failure"] = "BSLReadOnly" })
		// A full-object UPDATE with the stored spec passes too.
		wantAllowed(t, velero.Update(c.ctx, b))
	})

	t.Run("Backup from a Schedule", func(t *testing.T) {
		s := cliSchedule("velero-daily", "@daily")
		wantAllowed(t, c.Client.Create(c.ctx, s))
		patch(t, s, func() { s.Status.Phase = velerov1.SchedulePhaseEnabled })
		b := &velerov1.Backup{ObjectMeta: meta("velero-daily-20261125000000"), Spec: s.Spec.Template}
		b.Labels = map[string]string{velerov1.ScheduleNameLabel: s.Name}
		wantAllowed(t, velero.Create(c.ctx, b))
		now := metav1.Now()
		patch(t, s, func() { s.Status.LastBackup = &now })
		patch(t, b, func() { b.Status.Phase = velerov1.BackupPhaseInProgress })
		patch(t, b, func() { b.Status.Phase = velerov1.BackupPhaseCompleted })
	})

	t.Run("Backup synced from storage", func(t *testing.T) {
		b := backup("synced-from-storage")
		b.Status.Phase = velerov1.BackupPhaseCompleted
		wantAllowed(t, velero.Create(c.ctx, b))
		patch(t, b, func() { b.Labels = map[string]string{velerov1.StorageLocationLabel: sampleBSL} })
	})

	t.Run("Restore", func(t *testing.T) {
		r := restore("velero-restore", "", "velero-daily")
		wantAllowed(t, c.Client.Create(c.ctx, r))
		patch(t, r, func() {
			r.Spec.BackupName = "velero-daily-20261125000000"
			r.Spec.IncludedNamespaces = []string{"*"}
			r.Status.Phase = velerov1.RestorePhaseInProgress
		})
		patch(t, r, func() { r.Status.Phase = velerov1.RestorePhaseCompleted })
	})

	t.Run("managed BSL status", func(t *testing.T) {
		var b velerov1.BackupStorageLocation
		if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: sampleBSL}, &b); err != nil {
			t.Fatal(err)
		}
		now := metav1.Now()
		patch(t, &b, func() {
			b.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
			b.Status.LastValidationTime = &now
		})
		patch(t, &b, func() { b.Status.LastSyncedTime = &now })
	})
}

// testBackupStatus: only Velero's service account writes a Backup's status,
// so nobody else can expire a backup (Velero's garbage collection would
// delete its data) or forge a finished one; metadata writes still pass.
func testBackupStatus(t *testing.T, c *cluster) {
	velero, err := c.ClientAs(veleroUser, "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	b := cliBackup("status-guard")
	wantAllowed(t, c.Client.Create(c.ctx, b))
	orig := b.DeepCopy()
	b.Status.Phase = velerov1.BackupPhaseCompleted
	wantAllowed(t, velero.Patch(c.ctx, b, client.MergeFrom(orig)))

	past := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	expired := b.DeepCopy()
	expired.Status.Expiration = &past
	wantDenied(t, c.Client.Patch(c.ctx, expired, client.MergeFrom(b)), "clusterbackup-backup", "only Velero (system:serviceaccount:velero:velero) may write the status of a Backup")

	labelled := b.DeepCopy()
	labelled.Labels = map[string]string{"team": "shop"}
	wantAllowed(t, c.Client.Patch(c.ctx, labelled, client.MergeFrom(b)))

	forged := cliBackup("forged-finished")
	forged.Status.Phase = velerov1.BackupPhaseCompleted
	forged.Status.Expiration = &past
	wantDenied(t, c.Client.Create(c.ctx, forged), "clusterbackup-backup", "may write the status")
	synced := cliBackup("synced-copy")
	synced.Status.Phase = velerov1.BackupPhaseCompleted
	wantAllowed(t, velero.Create(c.ctx, synced)) // Velero's backup sync
}
