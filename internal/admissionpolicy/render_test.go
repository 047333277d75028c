package admissionpolicy

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

var chartDir = flag.String("chart", filepath.Join(testenv.RepoRoot(), "charts", "velero-managed"), "chart to render the policies from")

// Sample cluster the tests render the policies for.
const (
	sampleNamespace = "velero"
	sampleBSL       = "default"
	sampleBucket    = "tenant-backups"
	sampleEndpoint  = "https://s3.example.com:9000"
	sampleCBSLPath  = "kkp"
	sampleProject   = "p1"
	sampleCluster   = "c1"
	samplePrefix    = sampleCBSLPath + "/" + sampleProject + "/" + sampleCluster
	// A location the cluster used before a storage switch, on the same
	// bucket and endpoint (only the CBSL prefix changed).
	previousPrefix = "old/" + sampleProject + "/" + sampleCluster
	// paramsName is the ConfigMap the policies read their parameters from.
	paramsName = "clusterbackup-admission-params"
)

// sampleValues are the chart values of the sample cluster with the given
// admission-policy switches.
func sampleValues(validating, mutating bool) map[string]any {
	return map[string]any{
		"namespace": sampleNamespace,
		"bsl":       map[string]any{"name": sampleBSL},
		"storage": map[string]any{
			"bucket": sampleBucket,
			"prefix": sampleCBSLPath,
			"config": map[string]any{"s3Url": sampleEndpoint, "region": "us-east-1"},
		},
		"cluster": map[string]any{"id": sampleCluster, "projectID": sampleProject},
		"admissionPolicies": map[string]any{
			"validating": map[string]any{"enabled": validating},
			"mutating":   map[string]any{"enabled": mutating},
			"previousLocations": []any{
				map[string]any{"bucket": sampleBucket, "s3Url": sampleEndpoint + "/", "prefix": previousPrefix + "/"},
			},
		},
	}
}

// renderPolicies renders the chart for values (through its schema, the way
// helm and the renderer do) and returns the objects of its
// admission-policies-*.yaml templates, in file order.
func renderPolicies(values map[string]any) ([]*unstructured.Unstructured, error) {
	return renderTemplates(values, "admission-policies")
}

// mapServed is the capability that says the API server serves
// MutatingAdmissionPolicy; without it (helm's default capabilities) the
// chart renders for an API server that does not.
const mapServed = "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"

// renderPoliciesFor is renderPolicies with extra API versions in the
// chart's capabilities (e.g. mapServed).
func renderPoliciesFor(values map[string]any, apiVersions ...string) ([]*unstructured.Unstructured, error) {
	return renderTemplatesFor(values, "admission-policies", apiVersions)
}

// renderTemplates renders the chart for values and returns the objects of the
// templates whose file name starts with prefix, in file order.
func renderTemplates(values map[string]any, prefix string) ([]*unstructured.Unstructured, error) {
	return renderTemplatesFor(values, prefix, nil)
}

// renderTemplatesFor is renderTemplates with apiVersions added to helm's
// default API versions.
func renderTemplatesFor(values map[string]any, prefix string, apiVersions []string) ([]*unstructured.Unstructured, error) {
	chrt, err := loader.Load(*chartDir)
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.APIVersions = append(append(chartutil.VersionSet{}, caps.APIVersions...), apiVersions...)
	kv, err := chartutil.ParseKubeVersion(testenv.Versions["kube-apiserver"])
	if err != nil {
		return nil, err
	}
	caps.KubeVersion = *kv
	rv, err := chartutil.ToRenderValues(chrt, values, chartutil.ReleaseOptions{Name: "velero", Namespace: sampleNamespace, IsInstall: true}, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(chrt, rv)
	if err != nil {
		return nil, err
	}
	var names []string
	for name := range files {
		if strings.HasPrefix(filepath.Base(name), prefix) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("chart has no %s* templates", prefix)
	}
	sort.Strings(names)
	var objs []*unstructured.Unstructured
	for _, name := range names {
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(files[name]), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, err
			}
			if len(m) > 0 {
				objs = append(objs, &unstructured.Unstructured{Object: m})
			}
		}
	}
	return objs, nil
}
