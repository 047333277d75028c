// Package renderer builds the managed Velero release of KKP user clusters from
// the embedded velero-managed Helm chart: Velero CRDs, namespace, RBAC, the
// credentials Secret (only when inline credentials are opted in), the Velero
// server and node-agent, the restore-helper ConfigMap, the cluster's prefixed
// default BackupStorageLocation and optional Schedules.
//
// The pieces, one file each:
//
//   - inputs.go, fleet.go: read Cluster, ClusterBackupStorageLocation and Secret
//     objects (files, directories, stdin) into a fleet of Inputs and refuse
//     anything unsafe (errors name file, object, field and rule).
//   - values.go: Values, the pure mapping of one Input + Options to chart values.
//   - chart.go: the embedded chart, loaded once.
//   - render.go: Renderer.Render, client-only Helm rendering with the chart's
//     schema enforced; CRDs are serialized once and shared.
//   - manifest.go: the stable object order and the output formats.
//   - overlay.go: kustomize overlays applied in memory with krusty.
//   - renderfleet.go: RenderFleet, concurrent rendering with ordered streaming.
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
