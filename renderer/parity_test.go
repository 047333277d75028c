package renderer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// objectSet keys objects by kind, namespace and name, each as canonical JSON.
func objectSet(t *testing.T, objs []*unstructured.Unstructured) map[string]string {
	t.Helper()
	set := map[string]string{}
	for _, o := range objs {
		key := o.GetAPIVersion() + " " + o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
		if _, dup := set[key]; dup {
			t.Fatalf("object %s twice", key)
		}
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		set[key] = string(b)
	}
	return set
}

// parseStream decodes a multi-document YAML stream into objects.
func parseStream(t *testing.T, stream []byte) []*unstructured.Unstructured {
	t.Helper()
	ms, err := splitDocuments("stream", stream, nil)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Result{Manifests: ms}.Objects()
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestHelmCLIParity runs the real `helm template` on the chart with the
// values Values computes and asserts the same object set as the library
// (every case without an overlay, CRDs included).
func TestHelmCLIParity(t *testing.T) {
	testenv.MustTool(t, "helm")
	for _, tc := range goldenCases {
		if tc.opts.Overlay != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			in := loadCase(t, tc.name)
			vals, err := Values(in, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			viaHelm := helmTemplate(t, vals, tc.opts)
			r, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			lib, err := res.Objects()
			if err != nil {
				t.Fatal(err)
			}
			testenv.CompareObjectSets(t, "helm template vs library", objectSet(t, viaHelm), objectSet(t, lib))
		})
	}
}

// helmTemplate runs the real `helm template` on the chart with vals (as a
// values file) and the options' --kube-version and --api-versions, CRDs
// included, and returns the objects.
func helmTemplate(t *testing.T, vals map[string]any, opts Options) []*unstructured.Unstructured {
	t.Helper()
	helm := testenv.MustTool(t, "helm")
	b, err := yaml.Marshal(vals)
	if err != nil {
		t.Fatal(err)
	}
	valuesFile := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(valuesFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	chartDir := filepath.Join(testenv.RepoRoot(), "charts", "velero-managed")
	args := append([]string{"template", ReleaseName, chartDir, "--namespace", "velero", "--include-crds", "-f", valuesFile}, HelmTemplateArgs(opts)...)
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, exitStderr(err))
	}
	return parseStream(t, out)
}

func exitStderr(err error) string {
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// TestCachedRenderMatchesHelmInstall checks the renderer's fast path (shape
// cache with ID substitution) against a full render per cluster and against
// Helm's own client-only install action (DryRun, ClientOnly, Replace,
// IncludeCRDs, explicit KubeVersion/APIVersions): same objects, byte for
// byte between the two library paths.
func TestCachedRenderMatchesHelmInstall(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in := loadCase(t, tc.name)
			fast, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			full, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			full.noCache = true
			a, err := fast.Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			b, err := full.Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if string(a.YAML()) != string(b.YAML()) {
				t.Fatalf("cached and full render differ:\n%s", lineDiff(string(b.YAML()), string(a.YAML())))
			}
			key, _ := shapeKey(mustValues(t, in, tc.opts))
			if s := fast.cache.get(key); !s.ok {
				t.Fatal("the shape cache refused ID substitution for the chart")
			}
			ja, err := a.WriteJSONString()
			if err != nil {
				t.Fatal(err)
			}
			jb, err := b.WriteJSONString()
			if err != nil {
				t.Fatal(err)
			}
			if ja != jb {
				t.Fatal("cached and full JSON differ")
			}
			if tc.opts.Overlay != "" {
				return
			}
			objs := installObjects(t, fast, in, tc.opts)
			lib, err := a.Objects()
			if err != nil {
				t.Fatal(err)
			}
			testenv.CompareObjectSets(t, "helm install action vs library", objectSet(t, objs), objectSet(t, lib))
		})
	}
}

func mustValues(t *testing.T, in Input, opts Options) map[string]any {
	t.Helper()
	v, err := Values(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// installObjects renders with Helm's install action, client-only.
func installObjects(t *testing.T, r *Renderer, in Input, opts Options) []*unstructured.Unstructured {
	t.Helper()
	cfg := &action.Configuration{}
	inst := action.NewInstall(cfg)
	inst.DryRun, inst.ClientOnly, inst.Replace, inst.IncludeCRDs = true, true, true, true
	inst.ReleaseName, inst.Namespace = ReleaseName, "velero"
	inst.KubeVersion = &r.caps.KubeVersion
	inst.APIVersions = chartutil.VersionSet(APIVersions(opts))
	rel, err := inst.RunWithContext(context.Background(), r.chart, mustValues(t, in, opts))
	if err != nil {
		t.Fatal(err)
	}
	return parseStream(t, []byte(rel.Manifest))
}

// TestValuesArePure checks that Values neither keeps nor shares its inputs.
func TestValuesArePure(t *testing.T) {
	in := loadCase(t, "schedules")
	opts := goldenCases[len(goldenCases)-1].opts
	a, b := mustValues(t, in, opts), mustValues(t, in, opts)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls give different values")
	}
	a["schedules"].(map[string]any)["daily"].(map[string]any)["template"].(map[string]any)["ttl"] = "1h"
	if opts.Schedules["daily"].Template["ttl"] != "168h0m0s" {
		t.Fatal("Values shares maps with Options")
	}
}
