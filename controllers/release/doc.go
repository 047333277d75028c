// Package release is the seed's release loop: enabling backup on a KKP
// Cluster in the seed's API is the only step, and Velero runs in the user
// cluster.
//
// For every Cluster whose spec.backupConfig.backupStorageLocation names a
// ClusterBackupStorageLocation (CBSL), the Reconciler renders the cluster's
// release in process with package renderer — from the Cluster, its CBSL and
// the seed's render configuration (Settings: a RenderConfig document, the
// same parameters and validation as the Argo CD plugin and the KRM
// function), so it lands exactly what those paths render — and applies it
// into the user cluster:
//
//   - reconciler.go, setup.go, options.go: the Reconciler (one cluster per
//     reconcile), its registration with the manager (watches, indexes,
//     the priority queue) and its Options.
//   - settings.go, generation.go, rendercache.go: the seed's render
//     configuration, its generations (controllers/rollout moves clusters
//     between them in waves) and the cache of render digests that lets a
//     current cluster skip the render.
//   - apply.go: server-side apply under one field manager, CRDs first,
//     then (once every CRD is Established) the rest in render order.
//   - digest.go, inventory.go: the release's digest and the inventory
//     parent in the user cluster (ConfigMap clusterbackup-release in the
//     Velero namespace, in the spirit of an ApplySet, KEP-3659), written
//     last. A resync that finds the digest current costs one GET in the
//     user cluster and applies nothing. Drift inside a current release
//     (an object changed or deleted by hand) is repaired by the next
//     render change, not by the resync.
//   - prune.go: what the previous inventory lists and the render no longer
//     holds is deleted, except CRDs, Namespaces, BSLs, Secrets and anything
//     marked helm.sh/resource-policy: keep.
//   - repositories.go: after a storage switch, the BackupRepositories of the
//     old storage are deleted so Velero opens the new one at once.
//   - takeover.go, kkpguard.go: taking a cluster over from KKP's own
//     cluster backup (docs/migration.md), and the guard that refuses to
//     apply over a BSL under KKP's name the loop did not apply.
//   - gitops.go: a cluster whose Velero Namespace or Deployment carries
//     Argo CD or Flux markers is skipped, never fought over; so is one the
//     operator excludes by label selector (Options.ExcludeSelector).
//   - lifecycle.go, state.go: the life cycle driven from the seed's state,
//     kept per cluster in a ConfigMap of the CBSL namespace (written before
//     any render that depends on it): a storage switch keeps the old
//     location as a read-only previous BSL, across restarts and leader
//     changes; clearing the backup location applies the disabled release
//     (Velero and node-agent go, Schedules are paused; CRDs, Backups, BSLs
//     and Secrets stay); setting it again re-enables.
//   - status.go, events.go, metrics.go: a per-cluster State, recorded
//     when its phase or Velero version changes in the state ConfigMap's
//     annotations StateAnnotation and StateVeleroVersionAnnotation (for
//     `clusterbackup fleet status`), an Event on the Cluster for each state
//     change (ReleaseApplied, ReleaseDisabled, ReleasePruned,
//     ReleaseSkipped, ReleaseFailed), and Prometheus metrics.
//
// Nothing is ever deleted because a Cluster is gone, its kubeconfig missing
// or its API unreachable: such reconciles fail with backoff (bounded by the
// resync period) and a clear state. Credentials never pass through the loop:
// the credentials loop delivers the Secret the rendered Deployment mounts,
// and a render configuration asking for inline credentials is refused.
//
// User clusters are reached through Clients (controllers/userclient: the
// admin kubeconfig Secret on the seed, bounded answers). The loop is a
// controller (SetupWithManager), so with leader election only the leader
// runs it.
package release
