//go:build !webhookonly

package main

import (
	"context"
	"fmt"
	"io"

	"github.com/clusterbackup/clusterbackup/internal/gitops"
)

// runKRM is the KRM function: a ResourceList (config.kubernetes.io/v1) on
// stdin, the list with the rendered objects in place of the inputs plus
// results on stdout. On failure it writes the unchanged list with error
// results and exits non-zero. Use it as an exec function in `kustomize build
// --enable-alpha-plugins --enable-exec`.
func runKRM(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "krm")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage: clusterbackup krm < ResourceList\n\nKRM function: renders the Cluster among the items (functionConfig: a clusterbackup.io/v1alpha1 RenderConfig or a v1 ConfigMap with the parameters).")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	defer oneShotGC()()
	in, err := io.ReadAll(s.In)
	if err != nil {
		return fmt.Errorf("read standard input: %w", err)
	}
	rl, err := gitops.ParseResourceList(in)
	if err != nil {
		return err
	}
	out, runErr := gitops.RunKRM(ctx, rl)
	b, err := out.YAML()
	if err != nil {
		return err
	}
	if _, err := s.Out.Write(b); err != nil {
		return err
	}
	return runErr
}
