// Package renderer builds the managed Velero release of KKP user clusters from
// the embedded velero-managed Helm chart: Velero CRDs, namespace, RBAC, the
// credentials Secret (only when inline credentials are opted in), the Velero
// server and node-agent, the restore-helper ConfigMap, the cluster's prefixed
// default BackupStorageLocation and optional Schedules.
//
// The pieces, one file each:
//
//   - input.go, fleet.go: Input (a Cluster, its ClusterBackupStorageLocation
//     and optionally the CBSL's Secret) and LoadInputs/BuildFleet, which read
//     objects (files, directories, stdin) into a fleet and refuse anything
//     unsafe (errors name file, object, field and rule).
//   - options.go: Options, how every cluster of a render looks.
//   - values.go, externalsecret.go: Values, the pure mapping of one Input +
//     Options to chart values, and its credentials section for External
//     Secrets.
//   - chart.go, schema.go: the embedded chart, loaded once, and its values
//     schema compiled once with no network loaders.
//   - render.go: Renderer.Render, client-only Helm rendering with the chart's
//     schema enforced; CRDs are serialized once and shared.
//   - cache.go, header.go: the shape cache (one render per values shape, the
//     cluster IDs substituted) and the quick header parse it relies on.
//   - manifest.go: the stable object order and the output formats.
//   - names.go: names of rendered workloads the seed's loops read back.
//   - overlay.go: kustomize overlays applied in memory with krusty.
//   - renderfleet.go: RenderFleet, concurrent rendering with ordered streaming.
//   - lifecycle.go: previous locations, disable and purge (docs/lifecycle.md).
//   - kkplocation.go: KKP's location kept read-only on a migration, and the
//     policy that denies its name where nothing maps it.
//   - sharedcreds.go: clusters whose CBSLs share one access key.
//   - diff.go: what changes between two renders, object by object.
//   - seed.go: RenderSeed, the seed chart (webhook and controllers).
//
// Package renderer/settings is the one settings type of a render (the
// parameters of the CLI's render flags, the Argo CD plugin, the KRM function
// and the seed's release loop, their rules and their mapping onto Options);
// it imports this package, never the other way round.
//
// The chart computes the prefix itself (join(CBSL prefix, projectID,
// clusterID)), so `helm template` with the values from Values gives the same
// objects as this package.
package renderer
