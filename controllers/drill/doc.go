// Package drill runs restore drills from the seed (issue #28,
// docs/drills.md): per user cluster, on a schedule spread across the fleet,
// it restores a recent Completed backup into scratch namespaces of that
// cluster (internal/drill's Plan: a deny-all NetworkPolicy and a
// ResourceQuota first, resource modifiers, no cluster-scoped resources),
// judges the result, always cleans up, and writes an ed25519-signed record
// beside the cluster's prefix with the CBSL's own key.
//
// Runner does one drill (also `clusterbackup drill run`); Scheduler is the
// leader-only loop that decides when each cluster is due, caps the drills
// running at once, honours the per-cluster opt-out annotation, cleans up
// what an interrupted drill left (found by label) and records Events on the
// Cluster and metrics per cluster. User clusters are reached through
// controllers/userclient, object storage through internal/s3check's client.
package drill
