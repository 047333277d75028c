package gitopstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// variant is one option set every path renders with, expressed the way
// each path's users express it.
type variant struct {
	name string
	// opts are the library's options, lc the cluster's life cycle.
	opts renderer.Options
	lc   renderer.Lifecycle
	// cliArgs are the render CLI's flags.
	cliArgs []string
	// argoEnv are plugin env variables (ARGOCD_ENV_<key>).
	argoEnv map[string]string
	// krmSpec are the KRM function config's spec entries.
	krmSpec map[string]any
	// helmSet are `helm template --set` values.
	helmSet []string
	// fluxValues are the HelmRelease's spec.values; fluxPostRender keeps its
	// postRenderers (the hardened patches).
	fluxValues     map[string]any
	fluxPostRender bool
}

var variants = []variant{
	{name: "default"},
	{
		name:           "hardened",
		opts:           renderer.Options{Overlay: "hardened"},
		cliArgs:        []string{"--overlay", "hardened"},
		argoEnv:        map[string]string{"OVERLAY": "hardened"},
		krmSpec:        map[string]any{"overlay": "hardened"},
		fluxPostRender: true,
	},
	{
		name:       "mirror-without-node-agent",
		opts:       renderer.Options{Registry: "registry.example.com/mirror", DisableNodeAgent: true},
		cliArgs:    []string{"--registry", "registry.example.com/mirror", "--no-node-agent"},
		argoEnv:    map[string]string{"REGISTRY": "registry.example.com/mirror", "NODE_AGENT": "false"},
		krmSpec:    map[string]any{"registry": "registry.example.com/mirror", "nodeAgent": false},
		helmSet:    []string{"image.registry=registry.example.com/mirror", "nodeAgent.enabled=false"},
		fluxValues: map[string]any{"image": map[string]any{"registry": "registry.example.com/mirror"}, "nodeAgent": map[string]any{"enabled": false}},
	},
	{
		// The library skips the overlay for a disabled release; the helm CLI
		// path and Flux still run it (and the hardened patches match
		// nothing), which must not change a kept object.
		name:           "disabled-hardened",
		opts:           renderer.Options{Overlay: "hardened"},
		lc:             renderer.Lifecycle{Disabled: true},
		cliArgs:        []string{"--overlay", "hardened", "--disable"},
		argoEnv:        map[string]string{"OVERLAY": "hardened", "LIFECYCLE": "disabled"},
		krmSpec:        map[string]any{"overlay": "hardened", "lifecycle": "disabled"},
		helmSet:        []string{"disabled=true"},
		fluxValues:     map[string]any{"disabled": true},
		fluxPostRender: true,
	},
}

// viaLibrary renders with the renderer package: the reference.
func viaLibrary(t *testing.T, v variant, in renderer.Input) []object {
	t.Helper()
	r, err := renderer.New(v.opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.RenderLifecycle(context.Background(), in, v.lc)
	if err != nil {
		t.Fatal(err)
	}
	us, err := res.Objects()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]object, len(us))
	for i, u := range us {
		out[i] = u.Object
	}
	return out
}

// viaCLI runs `clusterbackup render -f examples/fleet -o DIR` once per
// variant and returns each cluster's objects (DIR/<id>/*.yaml).
func viaCLI(t *testing.T, v variant) map[string][]object {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	args := []string{"render", "-f", filepath.Join(testenv.RepoRoot(), "examples", "fleet"), "-o", dir}
	runCmd(t, exec.Command(binary(), append(args, v.cliArgs...)...))
	out := map[string][]object{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for _, f := range []string{"crds.yaml", "velero-managed.yaml"} {
			b, err := os.ReadFile(filepath.Join(dir, e.Name(), f))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = append(out[e.Name()], parseStream(t, b)...)
		}
	}
	return out
}

// application is what the test needs of an Argo CD Application.
type application struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Source struct {
			RepoURL        string `json:"repoURL"`
			TargetRevision string `json:"targetRevision"`
			Path           string `json:"path"`
			Plugin         struct {
				Name       string            `json:"name"`
				Env        []envVar          `json:"env"`
				Parameters []json.RawMessage `json:"parameters"`
			} `json:"plugin"`
		} `json:"source"`
		Destination struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"destination"`
	} `json:"spec"`
}

type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// applicationsFromSet renders deploy/argocd/applicationset.yaml the way its
// git files generator does: its template (goTemplate, missingkey=error)
// executed with each examples/fleet/cluster-*.yaml file's content. It
// returns the Applications by cluster ID.
func applicationsFromSet(t testing.TB) map[string]application {
	t.Helper()
	root := testenv.RepoRoot()
	b, err := os.ReadFile(filepath.Join(root, "deploy", "argocd", "applicationset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Spec struct {
			GoTemplate bool `json:"goTemplate"`
			Generators []struct {
				Git struct {
					Files []struct {
						Path string `json:"path"`
					} `json:"files"`
				} `json:"git"`
			} `json:"generators"`
			Template json.RawMessage `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	if !set.Spec.GoTemplate || len(set.Spec.Generators) != 1 || len(set.Spec.Generators[0].Git.Files) != 1 {
		t.Fatalf("applicationset.yaml: want goTemplate and one git files generator")
	}
	tmplY, err := yaml.JSONToYAML(set.Spec.Template)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.New("app").Option("missingkey=error").Parse(string(tmplY))
	if err != nil {
		t.Fatal(err)
	}
	// The generator's path is relative to the repository; the example
	// repository's fleet directory is examples/fleet.
	pattern := strings.Replace(set.Spec.Generators[0].Git.Files[0].Path, "fleet/", "examples/fleet/", 1)
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
	if err != nil || len(files) != 3 {
		t.Fatalf("git files generator %q matched %v (%v), want the 3 example clusters", pattern, files, err)
	}
	apps := map[string]application{}
	for _, f := range files {
		fb, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		if err := yaml.Unmarshal(fb, &data); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := tmpl.Execute(&out, data); err != nil {
			t.Fatalf("applicationset template on %s: %v", f, err)
		}
		var app application
		if err := yaml.Unmarshal(out.Bytes(), &app); err != nil {
			t.Fatal(err)
		}
		id := data["metadata"].(map[string]any)["name"].(string)
		if app.Spec.Source.Plugin.Name != "clusterbackup" || app.Spec.Destination.Name != id {
			t.Fatalf("Application for %s: plugin %q, destination %q", id, app.Spec.Source.Plugin.Name, app.Spec.Destination.Name)
		}
		apps[id] = app
	}
	return apps
}

// argoRepo lays out a repository as Argo CD's repo server checks it out:
// the Application's source path holding the example fleet and the marker
// file deploy/argocd/clusterbackup.yaml. It returns the repository root.
func argoRepo(t testing.TB, sourcePath string) string {
	t.Helper()
	root := testenv.RepoRoot()
	repo := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(root, "examples", "fleet", "*.yaml"))
	for _, f := range files {
		copyFile(t, f, filepath.Join(repo, sourcePath, filepath.Base(f)))
	}
	copyFile(t, filepath.Join(root, "deploy", "argocd", "clusterbackup.yaml"), filepath.Join(repo, sourcePath, "clusterbackup.yaml"))
	return repo
}

// argoEnv is the environment the repo server gives generate for app, plus
// extra ARGOCD_ENV_ variables.
func argoEnv(t testing.TB, app application, extraEnv map[string]string) []string {
	t.Helper()
	env := []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"ARGOCD_APP_NAME=" + app.Metadata.Name,
		"ARGOCD_APP_NAMESPACE=argocd",
		"ARGOCD_APP_REVISION=4a5f1c0de1b2c3d4e5f60718293a4b5c6d7e8f90",
		"ARGOCD_APP_SOURCE_PATH=" + app.Spec.Source.Path,
		"ARGOCD_APP_SOURCE_REPO_URL=" + app.Spec.Source.RepoURL,
		"ARGOCD_APP_SOURCE_TARGET_REVISION=" + app.Spec.Source.TargetRevision,
		"KUBE_VERSION=1.37.2",
		"KUBE_API_VERSIONS=v1,apps/v1,rbac.authorization.k8s.io/v1,admissionregistration.k8s.io/v1,apiextensions.k8s.io/v1,velero.io/v1,velero.io/v2alpha1",
	}
	var params []map[string]any
	for _, raw := range app.Spec.Source.Plugin.Parameters {
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		params = append(params, p)
		name := strings.ToUpper(regexp.MustCompile(`[^A-Za-z0-9_]`).ReplaceAllString(p["name"].(string), "_"))
		if s, ok := p["string"].(string); ok {
			env = append(env, "PARAM_"+name+"="+s)
		}
	}
	pj, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	env = append(env, "ARGOCD_APP_PARAMETERS="+string(pj))
	for _, e := range app.Spec.Source.Plugin.Env {
		env = append(env, "ARGOCD_ENV_"+e.Name+"="+e.Value)
	}
	for k, v := range extraEnv {
		env = append(env, "ARGOCD_ENV_"+k+"="+v)
	}
	return env
}

// viaCMP runs `clusterbackup cmp generate` as the repo server's sidecar does:
// working directory = the application's path in the checked-out repository,
// Argo CD's variables set. The variant's settings come as plugin env
// (ARGOCD_ENV_*), as an Application's spec.source.plugin.env gives them.
func viaCMP(t *testing.T, v variant, app application) []object {
	t.Helper()
	repo := argoRepo(t, app.Spec.Source.Path)
	cmd := exec.Command(binary(), "cmp", "generate")
	cmd.Dir = filepath.Join(repo, filepath.FromSlash(app.Spec.Source.Path))
	cmd.Env = argoEnv(t, app, v.argoEnv)
	return parseStream(t, runCmd(t, cmd))
}

// copyKRMExample copies examples/krm and the fleet it reads into a new
// folder, keeping their paths relative to the repository root.
func copyKRMExample(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot()
	dir := t.TempDir()
	for _, pat := range []string{"examples/fleet/*.yaml", "examples/krm/*.yaml"} {
		files, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(pat)))
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			copyFile(t, f, filepath.Join(dir, rel))
		}
	}
	return dir
}

// viaKRM runs the KRM function through the real kustomize CLI on a copy of
// examples/krm (and the fleet it reads), with the function config's spec
// set to the cluster and variant; clusterbackup is found on PATH, as the
// example's exec.path says.
func viaKRM(t *testing.T, v variant, id string) []object {
	t.Helper()
	kustomize := testenv.MustTool(t, "kustomize")
	dir := copyKRMExample(t)
	fnFile := filepath.Join(dir, "examples", "krm", "render.yaml")
	b, err := os.ReadFile(fnFile)
	if err != nil {
		t.Fatal(err)
	}
	var fn map[string]any
	if err := yaml.Unmarshal(b, &fn); err != nil {
		t.Fatal(err)
	}
	spec := map[string]any{"cluster": id}
	for k, val := range v.krmSpec {
		spec[k] = val
	}
	fn["spec"] = spec
	if b, err = yaml.Marshal(fn); err != nil {
		t.Fatal(err)
	}
	writeFile(t, fnFile, b)
	cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "--load-restrictor", "LoadRestrictionsNone", filepath.Join(dir, "examples", "krm"))
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return parseStream(t, runCmd(t, cmd))
}

// viaHelmCLI runs the real helm CLI with examples/ci/<id>.yaml, the command
// docs/gitops.md gives. With an overlay, the helm output (CRDs included)
// becomes overlays/base/release.yaml of a copy of overlays/ and the real
// kustomize CLI builds the overlay (overlays leave the CRDs alone).
func viaHelmCLI(t *testing.T, v variant, id string) []object {
	t.Helper()
	helm := testenv.MustTool(t, "helm")
	root := testenv.RepoRoot()
	chartDir := filepath.Join(root, "charts", "velero-managed")
	values := filepath.Join(root, "examples", "ci", id+".yaml")
	args := []string{"template", renderer.ReleaseName, chartDir, "--namespace", "velero", "--include-crds", "-f", values}
	for _, set := range v.helmSet {
		args = append(args, "--set", set)
	}
	cmd := exec.Command(helm, append(args, renderer.HelmTemplateArgs(renderer.Options{})...)...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	release := runCmd(t, cmd)
	if v.opts.Overlay == "" {
		return parseStream(t, release)
	}
	dir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(root, "overlays", "*", "*.yaml"))
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		copyFile(t, f, filepath.Join(dir, rel))
	}
	writeFile(t, filepath.Join(dir, "overlays", "base", "release.yaml"), release)
	kustomize := testenv.MustTool(t, "kustomize")
	return parseStream(t, runCmd(t, exec.Command(kustomize, "build", filepath.Join(dir, "overlays", v.opts.Overlay))))
}

// helmRelease is what the Flux equivalent needs of a HelmRelease.
type helmRelease struct {
	Spec struct {
		ReleaseName     string `json:"releaseName"`
		TargetNamespace string `json:"targetNamespace"`
		Chart           struct {
			Spec struct {
				Chart string `json:"chart"`
			} `json:"spec"`
		} `json:"chart"`
		ValuesFrom []struct {
			Kind      string `json:"kind"`
			Name      string `json:"name"`
			ValuesKey string `json:"valuesKey"`
		} `json:"valuesFrom"`
		Values        map[string]any `json:"values"`
		PostRenderers []struct {
			Kustomize struct {
				Patches []types.Patch `json:"patches"`
			} `json:"kustomize"`
		} `json:"postRenderers"`
	} `json:"spec"`
}

var substVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// viaFlux renders what Flux deploys for a cluster: the Flux Kustomization of
// examples/flux/clusters.yaml substitutes ${CLUSTER_ID} into
// examples/flux/release/helmrelease.yaml (postBuild.substitute); the
// HelmRelease's chart (loaded from the repository, as source-controller
// packages it), its valuesFrom ConfigMap (examples/flux/values) merged with
// spec.values, and its postRenderers' kustomize patches are applied with the
// Helm SDK (client-only install) and krusty, as helm-controller does. The
// CRDs are the chart's crds/ (install.crds: CreateReplace applies them
// without post-rendering). Variants without an overlay drop the
// postRenderers; a variant's values go into spec.values.
func viaFlux(t *testing.T, v variant, id string) []object {
	t.Helper()
	root := testenv.RepoRoot()
	// postBuild.substitute of the cluster's Flux Kustomization.
	ksb, err := os.ReadFile(filepath.Join(root, "examples", "flux", "clusters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var subst map[string]any
	for _, o := range parseStream(t, ksb) {
		if o["metadata"].(object)["name"] == "velero-"+id {
			subst = o["spec"].(object)["postBuild"].(object)["substitute"].(object)
		}
	}
	if subst == nil {
		t.Fatalf("examples/flux/clusters.yaml: no Kustomization velero-%s", id)
	}
	hb, err := os.ReadFile(filepath.Join(root, "examples", "flux", "release", "helmrelease.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hb = substVar.ReplaceAllFunc(hb, func(m []byte) []byte {
		name := string(substVar.FindSubmatch(m)[1])
		val, ok := subst[name].(string)
		if !ok {
			t.Fatalf("helmrelease.yaml: ${%s} is not substituted", name)
		}
		return []byte(val)
	})
	var hr helmRelease
	if err := yaml.Unmarshal(hb, &hr); err != nil {
		t.Fatal(err)
	}

	// Values: valuesFrom in order, then spec.values.
	vals := map[string]any{}
	for _, vf := range hr.Spec.ValuesFrom {
		if vf.Kind != "ConfigMap" {
			t.Fatalf("valuesFrom kind %q", vf.Kind)
		}
		cm := findConfigMap(t, filepath.Join(root, "examples", "flux", "values"), vf.Name)
		var part map[string]any
		if err := yaml.Unmarshal([]byte(cm[vf.ValuesKey]), &part); err != nil {
			t.Fatal(err)
		}
		vals = chartutil.MergeTables(part, vals)
	}
	if v.fluxValues != nil {
		// as a user would write them into the HelmRelease (a copy: merging
		// writes into it)
		b, err := json.Marshal(v.fluxValues)
		testenv.Must(t, err)
		testenv.Must(t, json.Unmarshal(b, &hr.Spec.Values))
	}
	if hr.Spec.Values != nil {
		vals = chartutil.MergeTables(hr.Spec.Values, vals)
	}

	ch, err := loader.Load(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(hr.Spec.Chart.Spec.Chart, "./"))))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := chartutil.ParseKubeVersion(renderer.DefaultKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.ClientOnly, install.DryRun, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = hr.Spec.ReleaseName, hr.Spec.TargetNamespace
	install.KubeVersion = kv
	install.APIVersions = renderer.APIVersions(renderer.Options{})
	install.DisableOpenAPIValidation = true
	if v.fluxPostRender {
		var patches []types.Patch
		for _, pr := range hr.Spec.PostRenderers {
			patches = append(patches, pr.Kustomize.Patches...)
		}
		if len(patches) == 0 {
			t.Fatal("helmrelease.yaml: no postRenderers patches")
		}
		install.PostRenderer = kustomizePatches{patches: patches}
	}
	rel, err := install.Run(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	var crds []object
	for _, c := range ch.CRDObjects() {
		crds = append(crds, parseStream(t, c.File.Data)...)
	}
	return append(crds, parseStream(t, []byte(rel.Manifest))...)
}

// findConfigMap returns the data of the ConfigMap named name in dir's files.
func findConfigMap(t testing.TB, dir, name string) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cm struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Data map[string]string `json:"data"`
		}
		if err := yaml.Unmarshal(b, &cm); err != nil {
			t.Fatal(err)
		}
		if cm.Kind == "ConfigMap" && cm.Metadata.Name == name {
			return cm.Data
		}
	}
	t.Fatalf("no ConfigMap %s in %s", name, dir)
	return nil
}

// kustomizePatches is a Helm post-renderer applying kustomize patches in
// memory with krusty (plugins disabled), as Flux's postRenderers do.
type kustomizePatches struct{ patches []types.Patch }

func (k kustomizePatches) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	fsys := filesys.MakeFsInMemory()
	if err := fsys.WriteFile("/work/release.yaml", in.Bytes()); err != nil {
		return nil, err
	}
	kz := types.Kustomization{Resources: []string{"release.yaml"}, Patches: k.patches}
	kz.APIVersion, kz.Kind = types.KustomizationVersion, types.KustomizationKind
	b, err := yaml.Marshal(kz)
	if err != nil {
		return nil, err
	}
	if err := fsys.WriteFile("/work/kustomization.yaml", b); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.DisabledPluginConfig()
	rm, err := krusty.MakeKustomizer(opts).Run(fsys, "/work")
	if err != nil {
		return nil, fmt.Errorf("post-render kustomize: %w", err)
	}
	y, err := rm.AsYaml()
	if err != nil {
		return nil, err
	}
	return bytes.NewBuffer(y), nil
}
