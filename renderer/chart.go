package renderer

import (
	"fmt"
	"io/fs"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	velerochart "github.com/clusterbackup/clusterbackup/charts/velero-managed"
)

// ChartName is the embedded chart's name.
const ChartName = "velero-managed"

// ReleaseName is the Helm release name the renderer uses (the chart's
// templates do not depend on it).
const ReleaseName = "velero-managed"

// builtinAPIVersions are added to Helm's default API versions: the Velero
// CRDs the chart installs and the admission APIs; MutatingAdmissionPolicy
// (mapAPIVersions) only for a Kubernetes version that serves it.
var builtinAPIVersions = []string{
	"velero.io/v1",
	"velero.io/v2alpha1",
	"admissionregistration.k8s.io/v1",
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy",
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding",
}

// builtinFor returns builtinAPIVersions for opts' Kubernetes version.
func builtinFor(opts Options) []string {
	vs := append([]string{}, builtinAPIVersions...)
	if kv, err := chartutil.ParseKubeVersion(opts.kubeVersion()); err == nil && servesMAP(kv.Major, kv.Minor) {
		vs = append(vs, mapAPIVersions...)
	}
	return vs
}

// LoadChart loads the embedded velero-managed chart.
func LoadChart() (*chart.Chart, error) {
	return loadChartFS(velerochart.FS)
}

func loadChartFS(fsys fs.FS) (*chart.Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: p, Data: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read embedded chart: %w", err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load embedded chart: %w", err)
	}
	return c, nil
}

// APIVersions returns the API versions the chart is rendered with: Helm's
// defaults, the Velero and admission APIs, and opts.APIVersions.
func APIVersions(opts Options) []string {
	vs := append(append([]string{}, chartutil.DefaultVersionSet...), builtinFor(opts)...)
	return append(vs, opts.APIVersions...)
}

// HelmTemplateArgs returns the `helm template` flags that give the helm CLI
// the same capabilities as the renderer (kube version and the API versions
// beyond Helm's defaults), for parity tests and CI users.
func HelmTemplateArgs(opts Options) []string {
	args := []string{"--kube-version", opts.kubeVersion()}
	for _, v := range append(builtinFor(opts), opts.APIVersions...) {
		args = append(args, "--api-versions", v)
	}
	return args
}

// capabilities builds the explicit Capabilities (Helm's default says v1.20).
func capabilities(opts Options) (*chartutil.Capabilities, error) {
	kv, err := chartutil.ParseKubeVersion(opts.kubeVersion())
	if err != nil {
		return nil, fmt.Errorf("kube version %q: %w", opts.kubeVersion(), err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	caps.APIVersions = APIVersions(opts)
	return caps, nil
}
