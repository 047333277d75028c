package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/input"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// cmpAppDir is an application directory with the example fleet and a marker.
func cmpAppDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := fs.ReadDir(examples.Fleet, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := fs.ReadFile(examples.Fleet, "fleet/"+e.Name())
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "clusterbackup.yaml"), []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  registry: registry.example.com/mirror\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCMPGenerate(t *testing.T) {
	dir := cmpAppDir(t)
	out, stderr, code := runCLI(t, "", map[string]string{
		"ARGOCD_APP_PARAMETERS": `[{"name":"cluster","string":"m2vd8s5ptc"}]`,
		"ARGOCD_ENV_NODE_AGENT": "false",
		"KUBE_VERSION":          "1.37.2",
	}, "cmp", "generate", "--path", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	fleet, err := renderer.LoadInputsFS(examples.Fleet, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	r, err := renderer.New(renderer.Options{Registry: "registry.example.com/mirror", DisableNodeAgent: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), fleet[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.ClusterID() != "m2vd8s5ptc" || out != string(res.YAML()) {
		t.Fatalf("cmp generate output differs from the library's render of %s", res.ClusterID())
	}
	if strings.Contains(out, "kind: DaemonSet") || !strings.Contains(out, "registry.example.com/mirror/velero/velero:v1.18.3") {
		t.Error("options not applied")
	}
}

func TestCMPFailsWithNothingOnStdout(t *testing.T) {
	dir := cmpAppDir(t)
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		"bad JSON":        {[]string{"cmp", "generate", "--path", dir}, map[string]string{"ARGOCD_APP_PARAMETERS": "[{"}, 1, "ARGOCD_APP_PARAMETERS: invalid JSON"},
		"unknown overlay": {[]string{"cmp", "generate", "--path", dir}, map[string]string{"PARAM_CLUSTER": "m2vd8s5ptc", "PARAM_OVERLAY": "x"}, 1, "unknown overlay"},
		"no marker":       {[]string{"cmp", "generate", "--path", t.TempDir()}, nil, 1, "no clusterbackup.yaml marker file"},
		"no cluster":      {[]string{"cmp", "generate", "--path", dir}, nil, 1, `the inputs hold 3 clusters (m2vd8s5ptc, r7tqz9d2wk, xkc6lgmfsn); set parameter "cluster"`},
		"no subcommand":   {[]string{"cmp"}, nil, 2, "want `cmp generate`"},
		"extra argument":  {[]string{"cmp", "generate", "x"}, nil, 2, "unexpected arguments"},
	} {
		t.Run(name, func(t *testing.T) {
			out, stderr, code := runCLI(t, "", tc.env, tc.args...)
			if code != tc.code || out != "" || !strings.Contains(stderr, tc.want) {
				t.Fatalf("code=%d (want %d) stdout=%d bytes stderr=%q (want %q)", code, tc.code, len(out), stderr, tc.want)
			}
		})
	}
}

// TestCMPGenerateLifecycle: an Application switches a cluster's storage with
// parameter previousLocations (an array naming an old CBSL kept among the
// inputs) and disables it with lifecycle; the output is the library's
// RenderLifecycle.
func TestCMPGenerateLifecycle(t *testing.T) {
	dir := cmpAppDir(t)
	old, err := os.ReadFile(filepath.Join(dir, "cbsl-backups-eu.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	oldDoc := strings.Replace(strings.Replace(string(old), "name: backups-eu\n", "name: backups-eu-old\n", 1), "prefix: seed-eu", "prefix: legacy", 1)
	if err := os.WriteFile(filepath.Join(dir, "cbsl-backups-eu-old.yaml"), []byte(oldDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "", map[string]string{
		"ARGOCD_APP_PARAMETERS": `[{"name":"cluster","string":"r7tqz9d2wk"},{"name":"previousLocations","array":["backups-eu-old"]},{"name":"lifecycle","string":"disabled"}]`,
	}, "cmp", "generate", "--path", dir)
	if code != 0 {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	objs := &input.Objects{}
	for _, f := range []string{"cbsl-backups-eu.yaml", "cbsl-backups-eu-old.yaml", "cluster-r7tqz9d2wk.yaml"} {
		if err := objs.Load(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	var oldCBSL renderer.PreviousLocation
	for _, c := range objs.CBSLs {
		if c.Object.Name == "backups-eu-old" {
			oldCBSL.CBSL = c.Object
		}
	}
	fleet, err := renderer.BuildFleet(objs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := renderer.New(renderer.Options{Registry: "registry.example.com/mirror"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.RenderLifecycle(context.Background(), fleet[0], renderer.Lifecycle{Previous: []renderer.PreviousLocation{oldCBSL}, Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ClusterID() != "r7tqz9d2wk" || out != string(res.YAML()) {
		t.Fatalf("cmp generate output differs from the library's RenderLifecycle of %s", res.ClusterID())
	}
	if !strings.Contains(out, "name: previous-backups-eu-old") || strings.Contains(out, "kind: Deployment") {
		t.Error("life cycle not applied")
	}
}
