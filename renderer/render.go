package renderer

import (
	"context"

	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// Renderer renders the embedded chart for many clusters. It is safe for
// concurrent use. The chart is loaded and its CRDs serialized once, in New.
type Renderer struct {
	opts    Options
	chart   *chart.Chart
	caps    *chartutil.Capabilities
	crds    []Manifest
	overlay *overlay
	cache   renderCache
	// schema is the chart's values.schema.json, compiled on first use.
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
	// noCache renders every cluster in full (tests compare both paths).
	noCache bool
}

// New loads the embedded chart, prepares the CRDs and the overlay named by
// opts.Overlay, and checks the options.
func New(opts Options) (*Renderer, error) {
	ch, err := LoadChart()
	if err != nil {
		return nil, err
	}
	return newRenderer(ch, opts)
}

func newRenderer(ch *chart.Chart, opts Options) (*Renderer, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	caps, err := capabilities(opts)
	if err != nil {
		return nil, err
	}
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart %s requires kubeVersion %s, which is incompatible with Kubernetes %s", ch.Name(), ch.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	r := &Renderer{opts: opts, chart: ch, caps: caps, noCache: opts.Single}
	if !opts.Single {
		if err := r.compileSchema(); err != nil {
			return nil, err
		}
	}
	crdFiles := ch.CRDObjects()
	sort.Slice(crdFiles, func(i, j int) bool { return crdFiles[i].Filename < crdFiles[j].Filename })
	for _, c := range crdFiles {
		if r.crds, err = splitDocuments(c.Filename, c.File.Data, r.crds); err != nil {
			return nil, err
		}
	}
	for i := range r.crds {
		if opts.Single {
			break // serialized on demand by Manifest.JSON
		}
		if r.crds[i].json, err = r.crds[i].JSON(); err != nil {
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

// Options returns the options the Renderer was made with.
func (r *Renderer) Options() Options { return r.opts }

// Render renders one cluster: the CRDs (shared, serialized once), then the
// chart's templates rendered client-only with the values from Values, passed
// through the chart's values.schema.json, then the overlay if any; all in
// the stable kind order. Same input, byte-identical output.
func (r *Renderer) Render(ctx context.Context, in Input) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	vals, err := Values(in, r.opts)
	if err != nil {
		return Result{}, err
	}
	return r.renderValues(in, vals)
}

// renderValues renders in's release for vals: the CRDs, then the
// templated objects from the shape cache.
func (r *Renderer) renderValues(in Input, vals map[string]any) (Result, error) {
	ms, err := r.renderCached(vals)
	if err != nil {
		return Result{}, fmt.Errorf("cluster %q: %w", in.ClusterID(), err)
	}
	out := make([]Manifest, 0, len(r.crds)+len(ms))
	out = append(append(out, r.crds...), ms...)
	return Result{Input: in, Manifests: out, Warnings: r.kkpLocationWarnings(in, vals, ms)}, nil
}

// renderCached returns the sorted templated objects for vals from the shape
// cache (see cache.go), or renders them in full.
func (r *Renderer) renderCached(vals map[string]any) ([]Manifest, error) {
	if r.noCache {
		return r.renderFull(vals)
	}
	key, err := shapeKey(vals)
	if err != nil {
		return nil, err
	}
	s := r.cache.get(key)
	s.once.Do(func() { r.renderShape(s, vals) })
	if s.err != nil {
		return nil, s.err
	}
	if !s.ok {
		return r.renderFull(vals)
	}
	cl := vals["cluster"].(map[string]any)
	ids := probe{project: cl["projectID"].(string), cluster: cl["id"].(string)}
	out := make([]Manifest, len(s.ms))
	for i, m := range s.ms {
		out[i] = m.fill(ids)
	}
	return out, nil
}

// renderFull renders the templates and applies the overlay, sorted.
func (r *Renderer) renderFull(vals map[string]any) ([]Manifest, error) {
	ms, err := r.renderTemplates(vals)
	if err != nil {
		return nil, err
	}
	// A disabled release keeps none of the objects the overlays change (the
	// workloads and the restore helper; TestOverlaysTouchOnlyDroppedObjects).
	if disabled, _ := vals["disabled"].(bool); r.overlay != nil && !disabled {
		if ms, err = r.overlay.apply(ms); err != nil {
			return nil, fmt.Errorf("overlay %q: %w", r.opts.Overlay, err)
		}
	}
	sortManifests(ms)
	return ms, nil
}

// renderTemplates renders the chart's templates (not its CRDs) for one
// values set, enforcing the schema, and returns the objects unsorted.
func (r *Renderer) renderTemplates(vals map[string]any) ([]Manifest, error) {
	ns, _ := vals["namespace"].(string)
	if ns == "" {
		ns = kkpv1.VeleroNamespace
	}
	// Coalesce with the chart's defaults as ToRenderValues does, then apply
	// the schema compiled once in New (Helm compiles it on every call).
	top, err := chartutil.ToRenderValuesWithSchemaValidation(r.chart, vals, chartutil.ReleaseOptions{
		Name: ReleaseName, Namespace: ns, Revision: 1, IsInstall: true,
	}, r.caps, true)
	if err != nil {
		return nil, err
	}
	v, ok := top["Values"].(chartutil.Values)
	if !ok {
		return nil, fmt.Errorf("coalesced values have type %T, not chartutil.Values", top["Values"])
	}
	if err := r.validateValues(v); err != nil {
		return nil, err
	}
	var e engine.Engine
	files, err := e.Render(r.chart, top)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, "NOTES.txt") {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var ms []Manifest
	for _, name := range names {
		if ms, err = splitDocuments(name, []byte(files[name]), ms); err != nil {
			return nil, err
		}
	}
	return ms, nil
}
