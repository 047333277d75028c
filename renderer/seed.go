package renderer

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	seedchart "github.com/clusterbackup/clusterbackup/charts/clusterbackup-seed"
)

// SeedChartName is the embedded seed chart's name.
const SeedChartName = "clusterbackup-seed"

// SeedOptions configure RenderSeed. Zero values take the chart's defaults.
type SeedOptions struct {
	// KubeVersion is the seed's Kubernetes version. Default
	// DefaultKubeVersion.
	KubeVersion string
	// Values are chart values merged over the chart's values.yaml (maps
	// deeply), validated by its values.schema.json. Default none.
	Values map[string]any
}

// RenderSeed renders the seed side (charts/clusterbackup-seed): the seed
// webhooks' Deployment (admission only) with its Service, webhook
// configurations and serving certificate, and the controllers' Deployment
// <name>-controllers (`clusterbackup controllers`: the CBSL status loop and
// the credentials loop, leader-elected), each with its own ServiceAccount,
// least-privilege RBAC, PodDisruptionBudget and NetworkPolicy, in the
// renderer's stable order. It renders no Secret and reads no input object.
func RenderSeed(o SeedOptions) (Result, error) {
	ch, err := loadChartFS(seedchart.FS)
	if err != nil {
		return Result{}, fmt.Errorf("seed chart: %w", err)
	}
	caps, err := capabilities(Options{KubeVersion: o.KubeVersion})
	if err != nil {
		return Result{}, err
	}
	vals := map[string]any{}
	mergeInto(vals, o.Values)
	ns, _ := vals["namespace"].(string)
	if ns == "" {
		ns, _ = ch.Values["namespace"].(string)
	}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals, chartutil.ReleaseOptions{
		Name: SeedChartName, Namespace: ns, Revision: 1, IsInstall: true,
	}, caps, false)
	if err != nil {
		return Result{}, fmt.Errorf("seed chart values: %w", err)
	}
	files, err := new(engine.Engine).Render(ch, top)
	if err != nil {
		return Result{}, fmt.Errorf("render seed chart: %w", err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if base := path.Base(name); !strings.HasPrefix(base, "_") && !strings.HasSuffix(base, "NOTES.txt") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var ms []Manifest
	for _, name := range names {
		if ms, err = splitDocuments(name, []byte(files[name]), ms); err != nil {
			return Result{}, err
		}
	}
	sortManifests(ms)
	return Result{Manifests: ms}, nil
}
