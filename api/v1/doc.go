// Package v1 holds the seed-side API types clusterbackup reads and validates:
// KKP's ClusterBackupStorageLocation (CBSL) and the read-only subset of KKP's
// Cluster that names a cluster's project and storage location.
//
// The CBSL reuses Velero's own BackupStorageLocation spec and status types, so
// every field means exactly what it means to Velero, and existing KKP objects
// decode unchanged.
//
// +kubebuilder:object:generate=true
// +groupName=kubermatic.k8c.io
package v1
