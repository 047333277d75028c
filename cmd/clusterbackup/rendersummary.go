//go:build !webhookonly

package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/clusterbackup/clusterbackup/renderer"
)

// renderSummary collects what `render --summary` prints on stderr after the
// manifests: one row per cluster (project, objects, CRDs, prefix) and the
// warnings, so a newcomer sees what happened without scrolling the YAML.
type renderSummary struct {
	mu       sync.Mutex
	rows     []summaryRow
	warnings []string
}

type summaryRow struct {
	cluster, project, prefix, lifecycle string
	objects, crds                       int
}

// warn records a warning that was printed on stderr.
func (s *renderSummary) warn(w string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warnings = append(s.warnings, w)
}

// add records one rendered cluster.
func (s *renderSummary) add(res renderer.Result, lc renderer.Lifecycle) {
	if s == nil {
		return
	}
	row := summaryRow{cluster: res.ClusterID(), project: res.Input.ProjectID(), lifecycle: lifecycleName(lc)}
	if len(lc.Previous) > 0 {
		row.lifecycle += fmt.Sprintf(" (+%d previous)", len(lc.Previous))
	}
	if p, err := res.Input.Prefix(); err == nil {
		row.prefix = p
	}
	for _, m := range res.Manifests {
		if m.Kind == "CustomResourceDefinition" {
			row.crds++
		} else {
			row.objects++
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, row)
}

// lifecycleName says what a render does to the cluster's release.
func lifecycleName(lc renderer.Lifecycle) string {
	switch {
	case lc.Disabled && lc.Purge:
		return "purge"
	case lc.Disabled:
		return "disable"
	default:
		return "enable"
	}
}

// print writes the summary to w (stderr).
func (s *renderSummary) print(w io.Writer) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	objects := 0
	for _, r := range s.rows {
		objects += r.objects + r.crds
	}
	fmt.Fprintf(w, "\nsummary: %d clusters, %d objects\n", len(s.rows), objects)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CLUSTER\tPROJECT\tRELEASE\tOBJECTS\tCRDS\tPREFIX")
	for _, r := range s.rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%s\n", r.cluster, r.project, r.lifecycle, r.objects, r.crds, r.prefix)
	}
	_ = tw.Flush()
	if len(s.warnings) == 0 {
		fmt.Fprintln(w, "warnings: none")
		return
	}
	fmt.Fprintf(w, "warnings: %d\n  %s\n", len(s.warnings), strings.Join(s.warnings, "\n  "))
}
