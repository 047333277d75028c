package renderer

import (
	"fmt"
	"sort"

	"helm.sh/helm/v3/pkg/chartutil"
)

// NewSingle is New for a process that renders one cluster and exits (the
// Argo CD plugin's generate, the KRM function). It renders the same objects
// as New but skips work that pays off only over many clusters: the shape
// cache (two probe renders per shape) and serializing the CRDs to JSON up
// front (done on demand by Manifest.JSON instead).
//
// It mirrors newRenderer without the CRD JSON step; keep the two in step
// (TestNewSingleMatchesNew checks the output).
func NewSingle(opts Options) (*Renderer, error) {
	ch, err := LoadChart()
	if err != nil {
		return nil, err
	}
	caps, err := capabilities(opts)
	if err != nil {
		return nil, err
	}
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart %s requires kubeVersion %s, which is incompatible with Kubernetes %s", ch.Name(), ch.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	r := &Renderer{opts: opts, chart: ch, caps: caps, noCache: true}
	crdFiles := ch.CRDObjects()
	sort.Slice(crdFiles, func(i, j int) bool { return crdFiles[i].Filename < crdFiles[j].Filename })
	for _, c := range crdFiles {
		if r.crds, err = splitDocuments(c.Filename, c.File.Data, r.crds); err != nil {
			return nil, err
		}
	}
	sortManifests(r.crds)
	if opts.Overlay != "" {
		if r.overlay, err = loadOverlay(opts.Overlay); err != nil {
			return nil, err
		}
	}
	return r, nil
}
