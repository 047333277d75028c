// Package velerochart embeds the velero-managed Helm chart (this directory) so
// the renderer loads it from the binary, never from disk. The .go files are
// not part of the chart (.helmignore).
package velerochart

import "embed"

// FS holds the chart's files: Chart.yaml, values.yaml, values.schema.json,
// templates/ (including _helpers.tpl, hence all:) and crds/.
//
//go:embed Chart.yaml values.yaml values.schema.json all:templates crds
var FS embed.FS
