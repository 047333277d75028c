package renderer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Manifest is one rendered object.
type Manifest struct {
	// APIVersion, Kind, Namespace and Name identify the object.
	APIVersion, Kind, Namespace, Name string
	// Source is the chart file the object came from
	// ("velero-managed/templates/deployment.yaml", "crds/...").
	Source string
	// YAML is the object as one YAML document without "---", ending in a
	// newline. CRD manifests are shared between Results: never modify YAML.
	YAML []byte
	// json caches the object as compact JSON (set for CRDs at start-up).
	json []byte
	// tpl, when set, is the placeholder form this manifest was filled from
	// with ids; JSON() fills tpl.json instead of converting the YAML.
	tpl *manifestTemplate
	ids probe
}

// kindOrder is the stable output order: CRDs, Namespace, RBAC, Secret,
// configuration, workloads and their admission objects, the BSL, Schedules.
// Kinds not listed go after the admission objects, by kind name.
var kindOrder = []string{
	"CustomResourceDefinition",
	"Namespace",
	"ServiceAccount",
	"ClusterRole",
	"ClusterRoleBinding",
	"Role",
	"RoleBinding",
	"Secret",
	"ExternalSecret",
	"ConfigMap",
	"Service",
	"Deployment",
	"DaemonSet",
	"PodDisruptionBudget",
	"MutatingWebhookConfiguration",
	"ValidatingWebhookConfiguration",
	"ValidatingAdmissionPolicy",
	"ValidatingAdmissionPolicyBinding",
	"MutatingAdmissionPolicy",
	"MutatingAdmissionPolicyBinding",
	"", // unknown kinds
	"VolumeSnapshotLocation",
	"BackupStorageLocation",
	"Schedule",
}

var kindRank = func() map[string]int {
	m := make(map[string]int, len(kindOrder))
	for i, k := range kindOrder {
		m[k] = i
	}
	return m
}()

func rank(kind string) int {
	if r, ok := kindRank[kind]; ok {
		return r
	}
	return kindRank[""]
}

// sortManifests orders manifests by kind rank, then kind, namespace, name.
func sortManifests(ms []Manifest) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := &ms[i], &ms[j]
		if ra, rb := rank(a.Kind), rank(b.Kind); ra != rb {
			return ra < rb
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// header is what sorting needs from a document.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// splitDocuments splits a YAML stream into manifests, dropping empty and
// comment-only documents. Each document must name its apiVersion, kind and
// metadata.name.
func splitDocuments(source string, stream []byte, out []Manifest) ([]Manifest, error) {
	for _, doc := range splitYAML(stream) {
		h, ok := quickHeader(doc)
		if !ok {
			h = header{}
			if err := yaml.Unmarshal(doc, &h); err != nil {
				return out, fmt.Errorf("%s: %w", source, err)
			}
		}
		if h.Kind == "" && h.APIVersion == "" && h.Metadata.Name == "" {
			if isBlank(doc) {
				continue
			}
		}
		if h.Kind == "" || h.APIVersion == "" || h.Metadata.Name == "" {
			return out, fmt.Errorf("%s: a document lacks apiVersion, kind or metadata.name:\n%s", source, doc)
		}
		out = append(out, Manifest{APIVersion: h.APIVersion, Kind: h.Kind, Namespace: h.Metadata.Namespace, Name: h.Metadata.Name, Source: source, YAML: doc})
	}
	return out, nil
}

// splitYAML splits on "---" lines; each part ends in exactly one newline.
func splitYAML(b []byte) [][]byte {
	var docs [][]byte
	for len(b) > 0 {
		var doc []byte
		i := indexSeparator(b)
		if i < 0 {
			doc, b = b, nil
		} else {
			doc = b[:i]
			b = b[i:]
			// skip the separator line
			if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
				b = b[nl+1:]
			} else {
				b = nil
			}
		}
		doc = bytes.TrimRight(doc, " \t\r\n")
		doc = trimLeadingBlankLines(doc)
		if len(doc) > 0 {
			docs = append(docs, append(doc, '\n'))
		}
	}
	return docs
}

// indexSeparator finds the next line that is "---" (optionally followed by
// blanks or a comment).
func indexSeparator(b []byte) int {
	for off := 0; off < len(b); {
		line := b[off:]
		if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
			line = line[:nl]
		}
		if bytes.HasPrefix(line, []byte("---")) {
			rest := strings.TrimSpace(string(line[3:]))
			if rest == "" || strings.HasPrefix(rest, "#") {
				return off
			}
		}
		off += len(line) + 1
	}
	return -1
}

func trimLeadingBlankLines(b []byte) []byte {
	for {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 || len(bytes.TrimSpace(b[:nl])) != 0 {
			return b
		}
		b = b[nl+1:]
	}
}

// isBlank reports whether a document holds only comments and blanks.
func isBlank(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		l := strings.TrimSpace(line)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// Result is the rendered release of one cluster.
type Result struct {
	// Input is what was rendered.
	Input Input
	// Manifests are the objects in output order (CRDs first; shared).
	Manifests []Manifest
	// Warnings are what the operator should know about this release
	// (KKPLocationWarning), for stderr or a status; never secrets.
	Warnings []string
}

// ClusterID returns the rendered cluster's ID.
func (r Result) ClusterID() string { return r.Input.ClusterID() }

// YAML returns the release as one multi-document YAML stream.
func (r Result) YAML() []byte {
	var b bytes.Buffer
	_ = r.WriteYAML(&b)
	return b.Bytes()
}

// WriteYAML writes the release as one multi-document YAML stream, each
// document starting with "---". It makes two writes per object: give it a
// buffered writer.
func (r Result) WriteYAML(w io.Writer) error {
	for _, m := range r.Manifests {
		if _, err := io.WriteString(w, "---\n"); err != nil {
			return err
		}
		if _, err := w.Write(m.YAML); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the release as one compact v1 List, followed by a newline.
func (r Result) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(`{"apiVersion":"v1","kind":"List","items":[`)
	for i := range r.Manifests {
		if i > 0 {
			b.WriteByte(',')
		}
		j, err := r.Manifests[i].JSON()
		if err != nil {
			return err
		}
		b.Write(j)
	}
	b.WriteString("]}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// JSON returns the manifest as compact JSON.
func (m *Manifest) JSON() ([]byte, error) {
	if m.json != nil {
		return m.json, nil
	}
	if m.tpl != nil && m.tpl.json != nil && m.ids != (probe{}) {
		return m.tpl.json.fill(m.ids), nil
	}
	j, err := yaml.YAMLToJSON(m.YAML)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", m.Kind, m.Name, err)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, j); err != nil {
		return nil, err
	}
	return c.Bytes(), nil
}

// Objects decodes the manifests into fresh unstructured objects (the caller
// may modify them).
func (r Result) Objects() ([]*unstructured.Unstructured, error) {
	objs := make([]*unstructured.Unstructured, 0, len(r.Manifests))
	for i := range r.Manifests {
		j, err := r.Manifests[i].JSON()
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.Manifests[i].Kind, r.Manifests[i].Name, err)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// WriteJSONString returns WriteJSON's output as a string.
func (r Result) WriteJSONString() (string, error) {
	var b bytes.Buffer
	err := r.WriteJSON(&b)
	return b.String(), err
}
