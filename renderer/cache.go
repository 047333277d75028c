package renderer

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	for i := range outs[0] {
		outs[0][i].tpl = compileManifest(outs[0][i], probes[0])
	}
	s.ms = outs[0]
	s.ok = sameManifests(substitute(outs[0], probes[0], probes[1]), outs[1])
}

// substitute returns ms with from's IDs replaced by to's.
func substitute(ms []Manifest, from, to probe) []Manifest {
	out := make([]Manifest, len(ms))
	for i, m := range ms {
		out[i] = m
		if m.tpl == nil {
			out[i].tpl = compileManifest(m, from)
		}
		out[i] = out[i].fill(to)
	}
	return out
}

// holeText is a text with the placeholder IDs cut out: literal pieces
// alternating with holes (0: project ID, 1: cluster ID).
type holeText struct {
	lits  [][]byte
	holes []int8
	size  int // bytes of literal text
}

// cut splits b at every occurrence of p's IDs; nil when there is none.
func cut(b []byte, p probe) *holeText {
	toks := [2][]byte{[]byte(p.project), []byte(p.cluster)}
	var t holeText
	found := false
	for {
		at, which := -1, int8(-1)
		for k, tok := range toks {
			if i := bytes.Index(b, tok); i >= 0 && (at < 0 || i < at) {
				at, which = i, int8(k)
			}
		}
		if at < 0 {
			break
		}
		found = true
		t.lits = append(t.lits, b[:at])
		t.holes = append(t.holes, which)
		t.size += at
		b = b[at+len(toks[which]):]
	}
	if !found {
		return nil
	}
	t.lits = append(t.lits, b)
	t.size += len(b)
	return &t
}

// fill returns the text with p's IDs in the holes.
func (t *holeText) fill(p probe) []byte {
	ids := [2]string{p.project, p.cluster}
	n := t.size
	for _, h := range t.holes {
		n += len(ids[h])
	}
	out := make([]byte, 0, n)
	for i, h := range t.holes {
		out = append(out, t.lits[i]...)
		out = append(out, ids[h]...)
	}
	return append(out, t.lits[len(t.lits)-1]...)
}

func (t *holeText) fillString(s string, p probe) string {
	if t == nil {
		return s
	}
	return string(t.fill(p))
}

// manifestTemplate is a manifest rendered with placeholder IDs, cut for
// filling in a cluster's IDs. Nil fields have no placeholder.
type manifestTemplate struct {
	yaml, json, name, namespace *holeText
}

// compileManifest cuts m (rendered with p's IDs) into a template; its JSON
// is derived once here.
func compileManifest(m Manifest, p probe) *manifestTemplate {
	t := &manifestTemplate{
		yaml:      cut(m.YAML, p),
		name:      cut([]byte(m.Name), p),
		namespace: cut([]byte(m.Namespace), p),
	}
	if j, err := m.JSON(); err == nil {
		t.json = cut(j, p)
	}
	return t
}

// fill returns the manifest with p's IDs; JSON is filled lazily by JSON().
func (m Manifest) fill(p probe) Manifest {
	t := m.tpl
	if t.yaml == nil && t.name == nil && t.namespace == nil && t.json == nil {
		return m
	}
	if t.yaml != nil {
		m.YAML = t.yaml.fill(p)
	}
	m.Name = t.name.fillString(m.Name, p)
	m.Namespace = t.namespace.fillString(m.Namespace, p)
	if t.json != nil {
		m.json = nil
		m.ids = p
	}
	return m
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
