package user

// Webhook paths served in user mode; the chart's webhook configurations
// use the same strings.
const (
	MutateBSLPath        = "/mutate-velero-io-v1-backupstoragelocation"
	ValidateBSLPath      = "/validate-velero-io-v1-backupstoragelocation"
	MutateBackupPath     = "/mutate-velero-io-v1-backup"
	ValidateBackupPath   = "/validate-velero-io-v1-backup"
	MutateSchedulePath   = "/mutate-velero-io-v1-schedule"
	ValidateSchedulePath = "/validate-velero-io-v1-schedule"
	ValidateRestorePath  = "/validate-velero-io-v1-restore"
)
