package admissionpolicy

import (
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: sampleNamespace}
}

// ownKeys makes b sign with a credential Secret of its own, the only way a
// BSL other than the managed one and the read-only previous locations may.
func ownKeys(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
	b.Spec.Credential = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "own-keys"}, Key: "cloud"}
	return b
}

// backup is a Backup with every default already filled.
func backup(name string) *velerov1.Backup {
	return &velerov1.Backup{
		ObjectMeta: meta(name),
		Spec: velerov1.BackupSpec{
			IncludedNamespaces:       []string{"app"},
			TTL:                      metav1.Duration{Duration: 720 * 60 * 60 * 1e9},
			StorageLocation:          sampleBSL,
			DefaultVolumesToFsBackup: ptrTo(true),
		},
	}
}

// cliBackup is a Backup shaped like `velero backup create`: zero durations
// sent explicitly ("0s" means unset), no storage location, no FS-backup
// choice.
func cliBackup(name string) *velerov1.Backup {
	return &velerov1.Backup{
		ObjectMeta: meta(name),
		Spec: velerov1.BackupSpec{
			IncludedNamespaces: []string{"*"},
			// TTL, CSISnapshotTimeout and ItemOperationTimeout are zero
			// metav1.Durations, which serialize as "0s".
		},
	}
}

// schedule is a Schedule with cron spec and a filled template.
func schedule(name, cron string) *velerov1.Schedule {
	return &velerov1.Schedule{
		ObjectMeta: meta(name),
		Spec:       velerov1.ScheduleSpec{Schedule: cron, Template: backup("t").Spec},
	}
}

// cliSchedule is a Schedule shaped like `velero schedule create`.
func cliSchedule(name, cron string) *velerov1.Schedule {
	return &velerov1.Schedule{
		ObjectMeta: meta(name),
		Spec:       velerov1.ScheduleSpec{Schedule: cron, Template: cliBackup("t").Spec},
	}
}

// restore is a Restore from a backup and/or a schedule ("" = unset).
func restore(name, backupName, scheduleName string) *velerov1.Restore {
	return &velerov1.Restore{
		ObjectMeta: meta(name),
		Spec:       velerov1.RestoreSpec{BackupName: backupName, ScheduleName: scheduleName},
	}
}

func ptrTo[T any](v T) *T { return &v }

// kkpBackup is a Backup as KKP's dashboard and KKP's end-to-end test
// create it: storageLocation default-cluster-backup-bsl, nothing else
// defaulted.
func kkpBackup(name string) *velerov1.Backup {
	return &velerov1.Backup{
		ObjectMeta: meta(name),
		Spec: velerov1.BackupSpec{
			StorageLocation:    kkpv1.KKPBSLName,
			IncludedNamespaces: []string{"app"},
			IncludedResources:  []string{"configmaps"},
		},
	}
}
