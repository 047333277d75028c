package storage

import "path"

// Layout says where Velero keeps its files under one BSL prefix (a
// cluster's effective prefix), modelled on Velero's
// persistence.ObjectStoreLayout, whose key functions are not exported. It is
// the one place of this module that spells a key of Velero's bucket layout:
// download, the fleet inventory, the restore drills and their test fixtures
// all ask it.
type Layout struct {
	// Prefix is the BSL prefix ("" for the bucket root), without a trailing
	// "/".
	Prefix string
}

// LayoutOf returns the layout under a BSL prefix.
func LayoutOf(prefix string) Layout { return Layout{Prefix: prefix} }

// BackupsDir is the folder of all backups, "/"-terminated.
func (l Layout) BackupsDir() string { return path.Join(l.Prefix, "backups") + "/" }

// BackupDir is one backup's folder, "/"-terminated.
func (l Layout) BackupDir(backup string) string { return path.Join(l.Prefix, "backups", backup) + "/" }

// BackupMetadataKey is a backup's velero-backup.json.
func (l Layout) BackupMetadataKey(backup string) string {
	return path.Join(l.Prefix, "backups", backup, BackupMetadataFile)
}

// BackupMetadataFile is the name of a backup's metadata object in its
// folder.
const BackupMetadataFile = "velero-backup.json"

// BackupContentsKey is a backup's tarball, <name>.tar.gz.
func (l Layout) BackupContentsKey(backup string) string {
	return path.Join(l.Prefix, "backups", backup, backup+".tar.gz")
}

// BackupResourceListKey is a backup's <name>-resource-list.json.gz.
func (l Layout) BackupResourceListKey(backup string) string {
	return path.Join(l.Prefix, "backups", backup, backup+"-resource-list.json.gz")
}

// PodVolumeBackupsKey is a backup's <name>-podvolumebackups.json.gz.
func (l Layout) PodVolumeBackupsKey(backup string) string {
	return path.Join(l.Prefix, "backups", backup, backup+"-podvolumebackups.json.gz")
}

// RestoreResultsKey is a restore's restore-<name>-results.gz.
func (l Layout) RestoreResultsKey(restore string) string {
	return path.Join(l.Prefix, "restores", restore, "restore-"+restore+"-results.gz")
}
