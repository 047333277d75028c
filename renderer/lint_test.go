package renderer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestHelmLintStrict runs the real `helm lint --strict` on the chart, with
// its defaults and with the values of every golden case: no warning, no
// error.
func TestHelmLintStrict(t *testing.T) {
	helm := testenv.MustTool(t, "helm")
	chartDir := filepath.Join(testenv.RepoRoot(), "charts", "velero-managed")
	valueFiles := map[string]string{"defaults": ""}
	for _, tc := range goldenCases {
		if tc.opts.Overlay != "" {
			continue
		}
		b, err := yaml.Marshal(mustValues(t, loadCase(t, tc.name), tc.opts))
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "values.yaml")
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		valueFiles[tc.name] = f
	}
	for name, f := range valueFiles {
		t.Run(name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir, "--kube-version", DefaultKubeVersion}
			if f != "" {
				args = append(args, "-f", f)
			}
			cmd := exec.Command(helm, args...)
			cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "0 chart(s) failed") || strings.Contains(string(out), "[WARNING]") || strings.Contains(string(out), "[ERROR]") {
				t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}
