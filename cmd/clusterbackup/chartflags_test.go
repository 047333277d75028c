//go:build !webhookonly

package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// The helpers below hold a chart to "defaults written once": the tests of
// each chart (seedchart_test.go, userchart_test.go) render it with the real
// helm CLI, load a container's arguments with the command's own parser and
// compare the configuration with the Go defaults plus the chart's settings.

// helmDeployments runs `helm template` on the repository's chart with
// values, in namespace, with the renderer's capabilities, and returns the
// Deployments it renders.
func helmDeployments(t *testing.T, chart, namespace, values string) []appsv1.Deployment {
	t.Helper()
	helm := testenv.MustTool(t, "helm")
	dir := t.TempDir()
	f := filepath.Join(dir, "values.yaml")
	testenv.Must(t, os.WriteFile(f, []byte(values), 0o600))
	args := append([]string{"template", chart, filepath.Join(testenv.RepoRoot(), "charts", chart),
		"--namespace", namespace, "--values", f}, renderer.HelmTemplateArgs(renderer.Options{})...)
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+dir, "HELM_CONFIG_HOME="+dir, "HELM_DATA_HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var deps []appsv1.Deployment
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if !strings.Contains(doc, "\nkind: Deployment\n") {
			continue
		}
		var d appsv1.Deployment
		testenv.Must(t, yaml.UnmarshalStrict([]byte(doc), &d))
		deps = append(deps, d)
	}
	return deps
}

// sameConfig compares two configurations as their --config files would
// read (JSON, every setting).
func sameConfig(t *testing.T, what string, want, got any) {
	t.Helper()
	w, err := json.MarshalIndent(want, "", "  ")
	testenv.Must(t, err)
	g, err := json.MarshalIndent(got, "", "  ")
	testenv.Must(t, err)
	if !bytes.Equal(w, g) {
		t.Errorf("the chart's %s configuration differs from the Go defaults plus the chart's settings:\nwant %s\ngot  %s", what, w, g)
	}
}

// ownedFlagsPassed fails for every flag of owned that none of args passes:
// an allow-list entry nobody needs must go.
func ownedFlagsPassed(t *testing.T, owned map[string]string, args ...[]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, list := range args {
		for _, a := range list {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			seen[name] = true
		}
	}
	for name := range owned {
		if !seen[name] {
			t.Errorf("the chart-owned flags name --%s, which the chart does not pass: drop it from the list", name)
		}
	}
}

// repeatsNoDefault fails for every argument whose value is the flag's
// default (read through a flag set bound to freshly defaulted options, as
// the command binds it) unless owned names the flag, with the reason the
// chart passes it.
func repeatsNoDefault(t *testing.T, what string, args []string, owned map[string]string, flags func() *flag.FlagSet) {
	t.Helper()
	for _, arg := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		fs := flags()
		if err := fs.Parse([]string{arg}); err != nil {
			t.Errorf("%s argument %q: %v", what, arg, err)
			continue
		}
		fl := fs.Lookup(name)
		if fl.Value.String() != fl.DefValue {
			continue
		}
		if reason, ok := owned[name]; ok {
			t.Logf("%s %s repeats the default, needed by the chart: %s", what, arg, reason)
			continue
		}
		t.Errorf("%s argument %q repeats the binary's default %q: leave it unset in the chart, so the Go default applies", what, arg, fl.DefValue)
	}
}

// webhookFlagSet is the webhook command's flag set bound to freshly
// defaulted options, as parseWebhookArgs binds it.
func webhookFlagSet() *flag.FlagSet {
	var o server.Options
	var f webhookFlags
	o.Default()
	fs := newFlagSet(streams{Err: io.Discard}, "webhook")
	bindWebhookFlags(fs, &o, &f)
	return fs
}

// controllersFlagSet is the controllers command's flag set bound to freshly
// defaulted options, as parseControllersArgs binds it.
func controllersFlagSet() *flag.FlagSet {
	var o controllers.Options
	var f webhookFlags
	o.Default()
	fs := newFlagSet(streams{Err: io.Discard}, "controllers")
	bindControllersFlags(fs, &o, &f)
	return fs
}
