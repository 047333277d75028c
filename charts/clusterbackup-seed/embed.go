// Package seedchart embeds the clusterbackup-seed Helm chart (this
// directory) so the renderer loads it from the binary, never from disk.
package seedchart

import "embed"

// FS holds the chart's files: Chart.yaml, values.yaml, values.schema.json
// and templates/ (including _helpers.tpl, hence all:).
//
//go:embed Chart.yaml values.yaml values.schema.json all:templates
var FS embed.FS
