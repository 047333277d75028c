// Package examples embeds the example fleet (examples/fleet/*.yaml): KKP
// Clusters and ClusterBackupStorageLocations that `clusterbackup render`
// renders when no -f is given (this is `make run`).
package examples

import "embed"

// Fleet holds fleet/*.yaml.
//
//go:embed fleet/*.yaml
var Fleet embed.FS
