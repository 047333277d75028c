package storage

import "testing"

// TestLayout: the keys are Velero's (persistence.ObjectStoreLayout), with
// and without a prefix.
func TestLayout(t *testing.T) {
	l := LayoutOf("seed/p/c")
	for got, want := range map[string]string{
		l.BackupsDir():                       "seed/p/c/backups/",
		l.BackupDir("b1"):                    "seed/p/c/backups/b1/",
		l.BackupMetadataKey("b1"):            "seed/p/c/backups/b1/velero-backup.json",
		l.BackupContentsKey("b1"):            "seed/p/c/backups/b1/b1.tar.gz",
		l.BackupResourceListKey("b1"):        "seed/p/c/backups/b1/b1-resource-list.json.gz",
		l.PodVolumeBackupsKey("b1"):          "seed/p/c/backups/b1/b1-podvolumebackups.json.gz",
		l.RestoreResultsKey("r1"):            "seed/p/c/restores/r1/restore-r1-results.gz",
		LayoutOf("").BackupsDir():            "backups/",
		LayoutOf("").BackupContentsKey("b1"): "backups/b1/b1.tar.gz",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
