//go:build !webhookonly

package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"

	"github.com/clusterbackup/clusterbackup/internal/gitops"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// runCMP is the Argo CD config-management plugin (CMP v2):
// `clusterbackup cmp generate` renders the application directory (the
// working directory, as the argocd-repo-server sidecar runs it) and prints
// only objects on stdout. Everything is buffered: on any failure stdout
// stays empty (an empty render with auto-prune would delete the release),
// the error goes to stderr and the exit code is non-zero.
func runCMP(ctx context.Context, s streams, args []string) error {
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "--help"):
		args = []string{"generate", "-h"}
	case len(args) == 0 || args[0] != "generate":
		return fmt.Errorf("%w: want `cmp generate`", errUsage)
	}
	fs := newFlagSet(s, "cmp generate")
	dir := fs.String("path", ".", "application `directory` (Argo CD runs generate in it)")
	fs.Usage = func() {
		fmt.Fprint(s.Err, cmpUsage)
		fs.PrintDefaults()
		fmt.Fprintln(s.Err, "\nParameters (default in brackets):")
		for _, p := range settings.Specs {
			fmt.Fprintf(s.Err, "  %-18s [%s] %s\n", p.Name, p.Default, p.Text())
		}
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	defer oneShotGC()()
	app, err := gitops.LoadApp(*dir, s.Getenv)
	if err != nil {
		return err
	}
	res, err := gitops.Render(ctx, app.Fleet, app.CBSLs, &app.Params)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := res.WriteYAML(&out); err != nil {
		return err
	}
	if out.Len() == 0 {
		return fmt.Errorf("cluster %q rendered no objects; refusing empty output", res.ClusterID())
	}
	for _, w := range renderer.SharedCredentials(app.Fleet) {
		fmt.Fprintf(s.Err, "clusterbackup cmp: warning: %s\n", w)
	}
	_, err = s.Out.Write(out.Bytes())
	return err
}

const cmpUsage = `Usage: clusterbackup cmp generate [--path DIR]

Argo CD config-management plugin (see deploy/argocd/plugin.yaml). Renders the
application directory, which must hold the marker file clusterbackup.yaml
(apiVersion: clusterbackup.io/v1alpha1, kind: RenderConfig, parameters under
spec), for one cluster. Settings, later ones winning: the plugin's defaults,
KUBE_VERSION and KUBE_API_VERSIONS, the marker file, ARGOCD_ENV_<NAME>,
PARAM_<NAME>, ARGOCD_APP_PARAMETERS. Prints only objects on stdout; on failure
nothing on stdout, the error on stderr, exit status 1 (2 for usage).

`

// oneShotGC tunes the garbage collector for a process that renders once and
// exits: no collection below oneShotMemoryLimit (a render of one cluster
// stays far below it), the usual pacing above it. It returns the function
// that restores the previous settings (for in-process callers and tests).
func oneShotGC() (restore func()) {
	pct := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(oneShotMemoryLimit)
	return func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(pct)
	}
}

// oneShotMemoryLimit is the heap size up to which cmp generate and krm do not
// collect garbage; keep it below the sidecar's memory limit (256Mi).
const oneShotMemoryLimit = 160 << 20
