// Package examples embeds the example fleet (examples/fleet/*.yaml): KKP
// Clusters and ClusterBackupStorageLocations that `clusterbackup render`
// renders when no -f is given (this is `make run`).
package examples

import "embed"

// Fleet holds fleet/*.yaml.
//
//go:embed fleet/*.yaml
var Fleet embed.FS

// KKP holds kkp/*.yaml: Clusters, ClusterBackupStorageLocations and their
// credential Secrets exactly as KKP's dashboard and controllers write them
// (kkp/README.md). Tests of every command and both webhooks use them.
//
//go:embed kkp/*.yaml
var KKP embed.FS
