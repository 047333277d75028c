package renderer

import (
	"context"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestQuickHeaderAgreesWithYAML checks quickHeader against a full YAML parse
// on every document the renderer produces and on awkward ones: whenever it
// answers, it answers what the parser says.
func TestQuickHeaderAgreesWithYAML(t *testing.T) {
	docs := []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: y\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    name: inner\n  name: outer\n",
		"kind: ConfigMap\napiVersion: v1\nmetadata:\n    namespace: 'it''s'\n    name: \"q\"\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flow}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &a anchored\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 123\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x # comment\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: >\n    folded\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"esc\\u0041\"\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tab\n",
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  name: notmeta\nmetadata:\n  name: meta\n",
		"apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata:\n  name: dup\n",
		"? complex\n: key\n",
		"- a\n- b\n",
	}
	for _, tc := range goldenCases {
		r, err := New(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Render(context.Background(), loadCase(t, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Manifests {
			docs = append(docs, string(m.YAML))
			if _, ok := quickHeader(m.YAML); !ok && m.Kind != "CustomResourceDefinition" {
				t.Errorf("%s %s: quickHeader gave up on the renderer's own output", m.Kind, m.Name)
			}
		}
	}
	for _, d := range docs {
		got, ok := quickHeader([]byte(d))
		if !ok {
			continue
		}
		var want header
		if err := yaml.Unmarshal([]byte(d), &want); err != nil {
			t.Errorf("quickHeader answered %+v for a document YAML refuses (%v):\n%s", got, err, d)
			continue
		}
		if got != want {
			t.Errorf("quickHeader = %+v, YAML = %+v for\n%s", got, want, d)
		}
	}
}
