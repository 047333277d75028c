// Package credentials is the seed-side loop that delivers storage
// credentials and per-cluster Kopia repository passwords to user clusters.
//
// For every KKP Cluster whose spec.backupConfig.backupStorageLocation names
// a ClusterBackupStorageLocation (CBSL), the Reconciler writes into the user
// cluster's Velero namespace:
//
//   - the credentials Secret the rendered Velero Deployment and node-agent
//     mount (default "velero-cloud-credentials", key "cloud"): an AWS
//     credentials file built by storage.Credentials from the CBSL's Secret;
//   - Velero's repository password Secret "velero-repo-credentials" (key
//     "repository-password"), holding a per-cluster password generated once
//     with crypto/rand and kept on the seed in the CBSL namespace, where it
//     survives the deletion of the cluster (and of its cluster-<id>
//     namespace), for restores into a new cluster.
//
// User clusters are reached with the kubeconfig KKP keeps in Secret
// "admin-kubeconfig" (key "kubeconfig") of the seed namespace
// "cluster-<clusterID>". The loop never deletes anything, never rotates a
// repository password, and never puts a secret value into a log line, an
// error, an Event or a metric.
//
// It runs in the seed's controllers process (package controllers,
// `clusterbackup controllers`, controllers.Options.Credentials, flag
// --credentials-loop) next to the CBSL status loop: the same manager, cache
// and metrics endpoint, in a Deployment apart from the seed webhooks, so a
// user cluster's answer can stall the loop but never admission. Like the
// status loop it is a controller, so with leader election on
// (controllers.Options.LeaderElection, flag --leader-elect, on in the seed
// chart) only the replica holding the Lease runs it; without it every
// replica does.
package credentials
