// Package e2e proves the whole mission with real parts: a cluster rendered by
// clusterbackup is applied to a real kube-apiserver guarded by our webhook, a
// real `velero server` process (with the AWS plugin) backs it up to a real S3
// server (versitygw) under the cluster's own prefix, and restores it.
//
// No pods run here (no kubelet): Velero runs as a local process, exactly as
// in its pod minus File System Backup of volumes. Run with `make e2e`; `make
// test` runs it too.
package e2e
