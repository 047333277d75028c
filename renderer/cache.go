package renderer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// The render cache keeps per-cluster work small: the chart's output depends
// on the cluster only through cluster.id and cluster.projectID, which
// templates use verbatim (labels, the prefix). So the renderer renders each
// distinct values "shape" (the values with both IDs blanked: in practice one
// per CBSL and option set) once with placeholder IDs, and every cluster of
// that shape gets that output with the placeholders replaced by its own IDs.
//
// The cache checks that this is sound before using it: it renders the shape
// with two different placeholder pairs of different lengths and requires
// that substituting one pair into the other's output gives exactly the other
// output. A template that hashed, truncated, changed the case of or
// otherwise computed anything from an ID fails that check, and the shape is
// then rendered in full for every cluster. Both probe renders go through
// Helm's schema validation and the overlay, like any render.

// probe is one placeholder pair: valid RFC 1123 labels that occur nowhere
// else in the chart.
type probe struct{ project, cluster string }

var probes = [2]probe{
	{project: "zq0projectprobe", cluster: "zq0clusterprobe"},
	{project: "zq1projectprobeplaceholderlonger", cluster: "zq1clusterprobeplaceholderlongerstill"},
}

// maxShapes bounds the cache; when full it starts over.
const maxShapes = 512

type shape struct {
	once sync.Once
	ms   []Manifest // rendered with probes[0]
	ok   bool       // substituting IDs into ms is sound
	err  error
}

type renderCache struct {
	mu     sync.Mutex
	shapes map[string]*shape
}

// shapeKey returns the cache key of a values set: its JSON with both IDs
// blanked.
func shapeKey(vals map[string]any) (string, error) {
	cl, _ := vals["cluster"].(map[string]any)
	saved := cl
	vals["cluster"] = map[string]any{"id": "", "projectID": ""}
	b, err := json.Marshal(vals)
	vals["cluster"] = saved
	if err != nil {
		return "", fmt.Errorf("values: %w", err)
	}
	return string(b), nil
}

func (c *renderCache) get(key string) *shape {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shapes == nil || len(c.shapes) >= maxShapes {
		c.shapes = map[string]*shape{}
	}
	s, ok := c.shapes[key]
	if !ok {
		s = &shape{}
		c.shapes[key] = s
	}
	return s
}

// withIDs returns a copy of vals whose cluster IDs are p's.
func withIDs(vals map[string]any, p probe) map[string]any {
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		out[k] = v
	}
	out["cluster"] = map[string]any{"id": p.cluster, "projectID": p.project}
	return out
}

// renderShape renders vals with both probe pairs and decides whether ID
// substitution is sound.
func (r *Renderer) renderShape(s *shape, vals map[string]any) {
	var outs [2][]Manifest
	for i, p := range probes {
		ms, err := r.renderFull(withIDs(vals, p))
		if err != nil {
			s.err = err
			return
		}
		outs[i] = ms
	}
	s.ms = outs[0]
	s.ok = sameManifests(substitute(outs[0], probes[0], probes[1]), outs[1])
	if s.ok {
		// JSON is derived from the YAML, so IDs appear in it verbatim too.
		for i := range s.ms {
			if j, err := s.ms[i].JSON(); err == nil {
				s.ms[i].json = j
			}
		}
	}
}

// substitute returns ms with from's IDs replaced by to's, copying only
// manifests that change.
func substitute(ms []Manifest, from, to probe) []Manifest {
	out := make([]Manifest, len(ms))
	r := strings.NewReplacer(from.project, to.project, from.cluster, to.cluster)
	fp, fc := []byte(from.project), []byte(from.cluster)
	for i, m := range ms {
		out[i] = m
		if !bytes.Contains(m.YAML, fp) && !bytes.Contains(m.YAML, fc) {
			continue
		}
		out[i].YAML = []byte(r.Replace(string(m.YAML)))
		out[i].Name = r.Replace(m.Name)
		out[i].Namespace = r.Replace(m.Namespace)
		if m.json != nil {
			out[i].json = []byte(r.Replace(string(m.json)))
		}
	}
	return out
}

func sameManifests(a, b []Manifest) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].APIVersion != b[i].APIVersion || a[i].Kind != b[i].Kind || a[i].Namespace != b[i].Namespace ||
			a[i].Name != b[i].Name || !bytes.Equal(a[i].YAML, b[i].YAML) {
			return false
		}
	}
	return true
}
