package testenv_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// toolModules names the module that pins each tool and the go.mod (under
// hack/tools) that requires it.
var toolModules = map[string][2]string{
	"etcd":                    {"go.etcd.io/etcd/server/v3", "go.mod"},
	"kube-apiserver":          {"k8s.io/kubernetes", "go.mod"},
	"kube-controller-manager": {"k8s.io/kubernetes", "go.mod"},
	"kube-scheduler":          {"k8s.io/kubernetes", "go.mod"},
	"kubelet":                 {"k8s.io/kubernetes", "go.mod"},
	"kube-proxy":              {"k8s.io/kubernetes", "go.mod"},
	"versitygw":               {"github.com/versity/versitygw", "go.mod"},
	"helm":                    {"helm.sh/helm/v3", "go.mod"},
	"kustomize":               {"sigs.k8s.io/kustomize/kustomize/v5", "go.mod"},
	"kubeconform":             {"github.com/yannh/kubeconform", "go.mod"},
	"controller-gen":          {"sigs.k8s.io/controller-tools", "go.mod"},
	"golangci-lint":           {"github.com/golangci/golangci-lint/v2", "golangci-lint/go.mod"},
	"kube-router-netpol":      {"github.com/cloudnativelabs/kube-router/v2", "go.mod"},
	"velero":                  {"github.com/vmware-tanzu/velero", "velero/go.mod"},
	"velero-restore-helper":   {"github.com/vmware-tanzu/velero", "velero/go.mod"},
	"velero-plugin-for-aws":   {"github.com/vmware-tanzu/velero-plugin-for-aws", "velero/go.mod"},
}

// TestToolVersions: the three tables of tool versions agree — testenv's (which
// binary a test looks for), hack/tools.sh's (the cache directory it builds
// into) and the go.mod files under hack/tools (what is actually built).
// Kubernetes' node components are tagged v1.37.x while their module is
// k8s.io/kubernetes v1.37.x; the same holds for every other tool.
func TestToolVersions(t *testing.T) {
	root := testenv.RepoRoot()
	script, err := os.ReadFile(filepath.Join(root, "hack", "tools.sh"))
	if err != nil {
		t.Fatal(err)
	}
	shell := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*\[([a-z0-9-]+)\]=(v[0-9.]+)\s*$`).FindAllSubmatch(script, -1) {
		shell[string(m[1])] = string(m[2])
	}
	if len(shell) != len(testenv.Versions) {
		t.Errorf("hack/tools.sh lists %d tools, internal/testenv.Versions %d", len(shell), len(testenv.Versions))
	}
	mods := map[string][]byte{}
	for name, v := range testenv.Versions {
		if shell[name] != v {
			t.Errorf("%s: internal/testenv.Versions says %s, hack/tools.sh says %q", name, v, shell[name])
		}
		mod, ok := toolModules[name]
		if !ok {
			t.Errorf("%s: no module known for the tool; add it to toolModules", name)
			continue
		}
		gomod := filepath.Join(root, "hack", "tools", mod[1])
		if mods[gomod] == nil {
			if mods[gomod], err = os.ReadFile(gomod); err != nil {
				t.Fatal(err)
			}
		}
		re := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(mod[0]) + `\s+(v\S+)`)
		m := re.FindSubmatch(mods[gomod])
		if m == nil {
			t.Errorf("%s: hack/tools/%s does not require %s", name, mod[1], mod[0])
			continue
		}
		if string(m[1]) != v {
			t.Errorf("%s: hack/tools/%s requires %s %s, the tables say %s", name, mod[1], mod[0], m[1], v)
		}
	}
}
