package renderer

import (
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/versions"
)

// TestChartPinsTheVeleroPair: the chart's default images and appVersion are
// the pair internal/versions pins (Velero v1.18.x with plugin v1.14.x).
func TestChartPinsTheVeleroPair(t *testing.T) {
	ch, err := LoadChart()
	if err != nil {
		t.Fatal(err)
	}
	img := ch.Values["image"].(map[string]any)
	velero := img["velero"].(map[string]any)["tag"]
	plugin := img["pluginForAWS"].(map[string]any)["tag"]
	if velero != versions.Velero || plugin != versions.VeleroPluginForAWS || ch.Metadata.AppVersion != versions.Velero {
		t.Fatalf("chart pins velero %v (appVersion %s) and plugin %v; internal/versions pins %s and %s",
			velero, ch.Metadata.AppVersion, plugin, versions.Velero, versions.VeleroPluginForAWS)
	}
	if ch.Metadata.Annotations["clusterbackup.io/velero-plugin-for-aws"] != versions.VeleroPluginForAWS {
		t.Fatal("Chart.yaml annotation clusterbackup.io/velero-plugin-for-aws is stale")
	}
	if got := len(ch.CRDObjects()); got != 13 {
		t.Fatalf("%d CRDs in the chart, want Velero's 13", got)
	}
}
