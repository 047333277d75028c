package gitops

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/examples"
)

// appDir lays out an application directory: marker (if not empty) and the
// example fleet's files below sub.
func appDir(t *testing.T, marker, sub string) string {
	t.Helper()
	dir := t.TempDir()
	if marker != "" {
		write(t, filepath.Join(dir, MarkerFile), marker)
	}
	entries, err := fs.ReadDir(examples.Fleet, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(examples.Fleet, "fleet/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, sub, e.Name()), string(b))
	}
	return dir
}

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const marker = "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: {}\n"

func TestLoadApp(t *testing.T) {
	none := env(nil)
	dir := appDir(t, marker, "fleet")
	write(t, filepath.Join(dir, ".git", "config.yaml"), "not: an input\n")
	write(t, filepath.Join(dir, "docs", "README.md"), "# not an input\n")
	a, err := LoadApp(dir, none)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Fleet) != 3 {
		t.Fatalf("%d clusters", len(a.Fleet))
	}

	a, err = LoadApp(dir, env(map[string]string{"PARAM_INPUTS_0": "fleet/cluster-xkc6lgmfsn.yaml", "PARAM_INPUTS_1": "fleet/cbsl-backups-eu.yaml"}))
	if err != nil || len(a.Fleet) != 1 || a.Fleet[0].ClusterID() != "xkc6lgmfsn" {
		t.Fatalf("inputs as files: %v %v", err, a)
	}

	for name, tc := range map[string]struct {
		dir  string
		env  map[string]string
		want string
	}{
		"no marker":       {appDir(t, "", "."), map[string]string{"ARGOCD_APP_SOURCE_PATH": "fleet"}, "no clusterbackup.yaml marker file in "},
		"absolute input":  {dir, map[string]string{"ARGOCD_ENV_INPUTS": "/etc"}, `parameter inputs: "/etc" must be relative to the application directory`},
		"missing input":   {dir, map[string]string{"ARGOCD_ENV_INPUTS": "nope"}, "parameter inputs: read inputs: stat nope"},
		"no input files":  {dir, map[string]string{"ARGOCD_ENV_INPUTS": "docs"}, "parameter inputs: read inputs: docs holds no *.yaml"},
		"bad marker spec": {appDir(t, "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: {cluser: x}\n", "."), nil, `clusterbackup.yaml: spec.cluser: unknown parameter "cluser"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadApp(tc.dir, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if name == "no marker" && (!errors.Is(err, ErrNoMarker) || !strings.Contains(err.Error(), "(ARGOCD_APP_SOURCE_PATH=fleet)")) {
				t.Errorf("err = %v", err)
			}
		})
	}
}
