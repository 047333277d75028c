// Package overlays embeds the kustomize overlays the renderer can apply to
// the velero-managed chart's output (clusterbackup render --overlay NAME).
//
// Layout: base/ is the chart's rendered output (the renderer writes it as
// base/release.yaml in memory; with the kustomize CLI, put
// `helm template` output there); every other folder is an overlay whose
// kustomization builds on ../base. Overlays see the templated objects, not
// the CRDs, which are never changed.
package overlays

import "embed"

// FS holds every overlay folder, including base/.
//
//go:embed base air-gap hardened
var FS embed.FS
