// Package fleet reports the backup health of every user cluster of a fleet
// from object storage alone, without touching the user clusters: for each
// cluster it lists Velero's backups under the cluster's prefix
// (<CBSL prefix>/<projectID>/<clusterID>/backups/), reads the newest
// backups' metadata (backups/<name>/velero-backup.json, a velero.io/v1
// Backup) and judges the cluster against the Schedules rendered for it.
//
// A verdict is one of Protected, Late, Failing, NeverBackedUp and
// Unreachable (see Verdict). Inventory scans clusters in parallel, each
// within its own time budget, over the storage core's SSRF-guarded S3
// client (s3check.Checker.Client): one unreachable endpoint is that
// cluster's verdict and never hides the others.
//
// The same Report has three faces: the `clusterbackup fleet status` table
// and JSON, Prometheus metrics (Collector, Runner) and a self-contained
// HTML page (WriteHTML). docs/fleet.md describes the algorithm and its
// request count.
package fleet
