package settings

import (
	"reflect"
	"strings"
	"testing"
)

func TestApplyConfig(t *testing.T) {
	var p Params
	doc := "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nmetadata:\n  name: x\nspec:\n  nodeAgent: false\n  apiVersions: [\"a/v1,b\"]\n  inputs: clusters, storage\n  kubeVersion: 1.36\n"
	if err := p.ApplyConfig("m", []byte(doc), false); err != nil {
		t.Fatal(err)
	}
	if p.Get(ParamNodeAgent) != "false" || p.Get(ParamKubeVersion) != "1.36" {
		t.Errorf("scalars: %q %q", p.Get(ParamNodeAgent), p.Get(ParamKubeVersion))
	}
	if got := p.List(ParamAPIVersions); !reflect.DeepEqual(got, []string{"a/v1,b"}) {
		t.Errorf("a YAML list is taken as is: %q", got)
	}
	if got := p.List(ParamInputs); !reflect.DeepEqual(got, []string{"clusters", "storage"}) {
		t.Errorf("a string list is split: %q", got)
	}

	var q Params
	if err := q.ApplyConfig("fc", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  overlay: hardened\n  cluster: c1\n"), true); err != nil {
		t.Fatal(err)
	}
	if q.Get(ParamOverlay) != "hardened" || q.Source(ParamOverlay) != "fc: data.overlay" {
		t.Errorf("ConfigMap: %q from %q", q.Get(ParamOverlay), q.Source(ParamOverlay))
	}

	for doc, want := range map[string]string{
		"apiVersion: v1\nkind: ConfigMap\ndata: {overlay: x}\n":                                `kind "ConfigMap" of "v1" is not a render configuration; expected clusterbackup.io/v1alpha1 RenderConfig`,
		"apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: {overlai: x}\n":      `m: spec.overlai: unknown parameter "overlai"`,
		"apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: {overlay: {a: 1}}\n": "spec.overlay: must be a string, boolean, number or a list of them",
		"apiVersion: [\n": "invalid YAML",
	} {
		var r Params
		if err := r.ApplyConfig("m", []byte(doc), false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", doc, err, want)
		}
	}
	var r Params
	if err := r.ApplyConfig("m", []byte("# only a comment\n"), false); err != nil {
		t.Errorf("empty document: %v", err)
	}
}
