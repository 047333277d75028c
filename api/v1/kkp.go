package v1

// KKPBSLName is the BackupStorageLocation name of KKP's cluster backup: KKP's
// own controller gives a user cluster's BSL this name, and KKP's dashboard
// writes it as spec.storageLocation of every Backup and Schedule template
// it creates (kubermatic/dashboard modules/web/src/app/shared/entity/backup.ts);
// KKP's end-to-end test expects the BSL velero/<KKPBSLName>.
const KKPBSLName = "default-cluster-backup-bsl"

// KKPTakeoverAnnotation on a Cluster ("true") lets the release loop take
// the user cluster over from KKP's own cluster backup when it enables it
// first (controllers/release takeover.go, docs/migration.md).
const KKPTakeoverAnnotation = "clusterbackup.io/kkp-takeover"

// KKPNamespace is the seed namespace KKP keeps ClusterBackupStorageLocations
// and their credential Secrets in: the default of every command and loop
// that reads them.
const KKPNamespace = "kubermatic"

// VeleroNamespace is the user-cluster namespace KKP's cluster backup runs
// Velero in (KKP's end-to-end test reads velero/<KKPBSLName>): the default
// namespace of the rendered release and of every rule and loop that reaches
// Velero there.
const VeleroNamespace = "velero"
