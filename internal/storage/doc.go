// Package storage is the one implementation of what clusterbackup knows about
// a storage location: the rules a ClusterBackupStorageLocation (CBSL) and the
// Cluster that uses it must follow, how its credentials and CA are read, the
// canonical form of its S3 endpoint, and where one cluster's backups live.
//
// Every entry point calls it: the renderer and its fleet check, the seed
// webhook and its status loop, the user-cluster webhook's "same storage"
// test, and the check, policy, download and diff commands, the Argo CD plugin
// and the KRM function. A rule changed here changes for all of them.
//
// The rule set is the seed's: a CBSL the seed webhook admits renders, and a
// CBSL it denies is refused everywhere with the same field path. CBSLs and
// Secrets are accepted exactly as KKP's dashboard writes them: a Secret with
// only accessKeyId and secretAccessKey, named by a credential whose key
// ("cloud-credentials") the Secret does not hold.
//
// Nothing here returns or formats a secret value.
package storage
