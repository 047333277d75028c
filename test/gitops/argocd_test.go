package gitopstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/gitops"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// TestPluginAnnouncesTheDefaultsItApplies: Argo CD does not send announced
// defaults, so plugin.yaml must announce exactly the parameters and defaults
// that cmp generate applies itself (settings.Specs), and discover by the marker
// file and run cmp generate.
func TestPluginAnnouncesTheDefaultsItApplies(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "argocd", "plugin.yaml"))
	testenv.Must(t, err)
	var p struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Discover struct {
				FileName string `json:"fileName"`
			} `json:"discover"`
			Generate struct {
				Command []string `json:"command"`
			} `json:"generate"`
			Parameters struct {
				Static []struct {
					Name           string    `json:"name"`
					String         *string   `json:"string"`
					Array          *[]string `json:"array"`
					CollectionType string    `json:"collectionType"`
				} `json:"static"`
			} `json:"parameters"`
		} `json:"spec"`
	}
	testenv.Must(t, yaml.Unmarshal(b, &p))
	if p.APIVersion != "argoproj.io/v1alpha1" || p.Kind != "ConfigManagementPlugin" || p.Metadata.Name != "clusterbackup" {
		t.Errorf("plugin.yaml is %s %s %q", p.APIVersion, p.Kind, p.Metadata.Name)
	}
	if p.Spec.Discover.FileName != "./"+gitops.MarkerFile {
		t.Errorf("discover.fileName = %q, want ./%s", p.Spec.Discover.FileName, gitops.MarkerFile)
	}
	if strings.Join(p.Spec.Generate.Command, " ") != "clusterbackup cmp generate" {
		t.Errorf("generate.command = %q", p.Spec.Generate.Command)
	}
	if len(p.Spec.Parameters.Static) != len(settings.Specs) {
		t.Fatalf("plugin.yaml announces %d parameters, the plugin knows %d", len(p.Spec.Parameters.Static), len(settings.Specs))
	}
	for i, s := range settings.Specs {
		a := p.Spec.Parameters.Static[i]
		if a.Name != s.Name {
			t.Errorf("parameter %d: plugin.yaml announces %q, want %q", i, a.Name, s.Name)
			continue
		}
		var announced string
		switch {
		case s.List && a.Array != nil && a.CollectionType == "array":
			announced = strings.Join(*a.Array, ",")
		case !s.List && a.String != nil:
			announced = *a.String
		default:
			t.Errorf("parameter %s: announced as %s/%v, want list=%v", s.Name, a.CollectionType, a.String != nil, s.List)
			continue
		}
		if announced != s.Default {
			t.Errorf("parameter %s: plugin.yaml announces default %q, the plugin applies %q", s.Name, announced, s.Default)
		}
	}
}

// TestRepoServerSidecar builds the deploy/argocd Component with the real
// kustomize CLI onto a stand-in argocd-repo-server Deployment and checks the
// sidecar: argocd-cmp-server as its command, plugin.yaml mounted where the
// CMP server reads it, the shared var-files and plugins volumes, user 999.
func TestRepoServerSidecar(t *testing.T) {
	kustomize := testenv.MustTool(t, "kustomize")
	dir := t.TempDir()
	root := testenv.RepoRoot()
	for _, f := range []string{"kustomization.yaml", "plugin.yaml", "repo-server-sidecar.yaml"} {
		copyFile(t, filepath.Join(root, "deploy", "argocd", f), filepath.Join(dir, "argocd", f))
	}
	writeFile(t, filepath.Join(dir, "install", "repo-server.yaml"), []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v3.1.0
      volumes:
        - name: var-files
          emptyDir: {}
        - name: plugins
          emptyDir: {}
`))
	writeFile(t, filepath.Join(dir, "install", "kustomization.yaml"), []byte(`resources: [repo-server.yaml]
components: [../argocd]
images:
  - name: clusterbackup
    newName: registry.example.com/clusterbackup
    newTag: v0.1.0
`))
	out := runCmd(t, exec.Command(kustomize, "build", filepath.Join(dir, "install")))
	objs := parseStream(t, out)
	var dep, cm object
	for _, o := range objs {
		switch o["kind"] {
		case "Deployment":
			dep = o
		case "ConfigMap":
			cm = o
		}
	}
	if cm == nil || cm["metadata"].(object)["name"] != "clusterbackup-cmp-plugin" || !strings.Contains(cm["data"].(object)["plugin.yaml"].(string), "kind: ConfigManagementPlugin") {
		t.Fatalf("no plugin ConfigMap in:\n%s", out)
	}
	spec := dep["spec"].(object)["template"].(object)["spec"].(object)
	var sidecar object
	for _, c := range spec["containers"].([]any) {
		if c.(object)["name"] == "clusterbackup-cmp" {
			sidecar = c.(object)
		}
	}
	if sidecar == nil || len(spec["containers"].([]any)) != 2 {
		t.Fatalf("no sidecar next to the repo server:\n%s", out)
	}
	if sidecar["image"] != "registry.example.com/clusterbackup:v0.1.0" {
		t.Errorf("sidecar image %v", sidecar["image"])
	}
	if cmd := sidecar["command"].([]any); len(cmd) != 1 || cmd[0] != "/var/run/argocd/argocd-cmp-server" {
		t.Errorf("sidecar command %v", cmd)
	}
	if sidecar["securityContext"].(object)["runAsUser"] != float64(999) {
		t.Errorf("sidecar runs as %v, want Argo CD's user 999", sidecar["securityContext"].(object)["runAsUser"])
	}
	mounts := map[string]string{}
	for _, m := range sidecar["volumeMounts"].([]any) {
		mounts[m.(object)["mountPath"].(string)] = m.(object)["name"].(string)
	}
	for path, vol := range map[string]string{
		"/var/run/argocd":                            "var-files",
		"/home/argocd/cmp-server/plugins":            "plugins",
		"/home/argocd/cmp-server/config/plugin.yaml": "clusterbackup-cmp-plugin",
		"/tmp": "clusterbackup-cmp-tmp",
	} {
		if mounts[path] != vol {
			t.Errorf("mount %s = %q, want volume %q", path, mounts[path], vol)
		}
	}
	vols := map[string]bool{}
	for _, v := range spec["volumes"].([]any) {
		vols[v.(object)["name"].(string)] = true
	}
	for _, v := range []string{"var-files", "plugins", "clusterbackup-cmp-plugin", "clusterbackup-cmp-tmp"} {
		if !vols[v] {
			t.Errorf("volume %s missing", v)
		}
	}
}
