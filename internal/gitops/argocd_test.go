package gitops

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestArgoCDPrecedence: KUBE_* < marker file < ARGOCD_ENV_* < PARAM_* <
// ARGOCD_APP_PARAMETERS, and unset parameters keep the plugin's defaults.
func TestArgoCDPrecedence(t *testing.T) {
	e := env(map[string]string{
		"KUBE_VERSION":          "1.36.3",
		"KUBE_API_VERSIONS":     "v1,apps/v1",
		"ARGOCD_ENV_OVERLAY":    "air-gap",
		"ARGOCD_ENV_NODE_AGENT": "false",
		"ARGOCD_ENV_REGISTRY":   "env.example.com",
		"PARAM_REGISTRY":        "param.example.com",
		"PARAM_CLUSTER":         "from-param",
		"PARAM_APIVERSIONS_0":   "x/v1",
		"PARAM_APIVERSIONS_1":   "y/v1",
		"ARGOCD_APP_PARAMETERS": `[{"name":"cluster","string":"c1"},{"name":"apiVersions","array":["z/v1"]}]`,
	})
	var p settings.Params
	if err := ApplyArgoCDCluster(&p, e); err != nil {
		t.Fatal(err)
	}
	if err := p.ApplyConfig("clusterbackup.yaml", []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  overlay: hardened\n  kubeVersion: v1.35.0\n  veleroVersion: v1.18.4\n"), false); err != nil {
		t.Fatal(err)
	}
	if err := ApplyArgoCDApp(&p, e); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		settings.ParamKubeVersion:   "v1.35.0",           // marker over KUBE_VERSION
		settings.ParamOverlay:       "air-gap",           // env over marker
		settings.ParamNodeAgent:     "false",             // ARGOCD_ENV_NODE_AGENT (snake case)
		settings.ParamRegistry:      "param.example.com", // PARAM_ over env
		settings.ParamCluster:       "c1",                // ARGOCD_APP_PARAMETERS over PARAM_
		settings.ParamAPIVersions:   "z/v1",
		settings.ParamVeleroVersion: "v1.18.4",
		settings.ParamPluginVersion: "v1.14.3", // default
	} {
		if got := p.Get(name); got != want {
			t.Errorf("%s = %q (from %s), want %q", name, got, p.Source(name), want)
		}
	}
	if p.Source(settings.ParamCluster) != `ARGOCD_APP_PARAMETERS "cluster"` {
		t.Errorf("cluster source %q", p.Source(settings.ParamCluster))
	}
}

func TestArgoCDPARAMArrays(t *testing.T) {
	var p settings.Params
	if err := ApplyArgoCDApp(&p, env(map[string]string{"PARAM_INPUTS_0": "clusters", "PARAM_INPUTS_1": "storage", "PARAM_INPUTS_3": "gap"})); err != nil {
		t.Fatal(err)
	}
	if got := p.List(settings.ParamInputs); !reflect.DeepEqual(got, []string{"clusters", "storage"}) {
		t.Errorf("inputs = %q", got)
	}
}

func TestParseAppParameters(t *testing.T) {
	cases := map[string]string{
		`not json`:                                        "invalid JSON",
		`{"name":"cluster"}`:                              "invalid JSON",
		`[{"name":"cluster","string":"a"}] x`:             "data after the array",
		`[{"string":"a"}]`:                                "ARGOCD_APP_PARAMETERS[0]: the parameter has no name",
		`[{"name":"cluster"}]`:                            `[0] "cluster": give exactly one of string, array or map`,
		`[{"name":"cluster","string":"a","array":["b"]}]`: "give exactly one",
		`[{"name":"cluster","strng":"a"}]`:                `unknown field "strng"`,
	}
	for in, want := range cases {
		if _, err := ParseAppParameters([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
	var p settings.Params
	err := ApplyArgoCDApp(&p, env(map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"overlay","map":{"a":"b"}}]`}))
	if err == nil || !strings.Contains(err.Error(), `parameter "overlay" takes a string or an array, not a map`) {
		t.Errorf("map parameter: %v", err)
	}
	err = ApplyArgoCDApp(&p, env(map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"overlay","array":["a","b"]}]`}))
	if err == nil || !strings.Contains(err.Error(), "takes one value, got 2") {
		t.Errorf("array for a string parameter: %v", err)
	}
}

func TestEnvNames(t *testing.T) {
	if got := envNames("veleroVersion"); !reflect.DeepEqual(got, []string{"VELERO_VERSION", "VELEROVERSION"}) {
		t.Errorf("envNames = %q", got)
	}
	if got := envNames("overlay"); !reflect.DeepEqual(got, []string{"OVERLAY"}) {
		t.Errorf("envNames = %q", got)
	}
	if got := escape("a-b.c"); got != "A_B_C" {
		t.Errorf("escape = %q", got)
	}
}
