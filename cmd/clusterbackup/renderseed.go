//go:build !webhookonly

package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clusterbackup/clusterbackup/renderer"
)

// seedFile is the file `render --seed -o DIR` writes.
const seedFile = "clusterbackup-seed.yaml"

// seedFlags are the render flags `render --seed` uses; any other one is a
// mistake (the seed side has no clusters, overlays or credentials mode).
var seedFlags = map[string]bool{"seed": true, "values": true, "kube-version": true, "o": true, "format": true}

// renderSeed renders the seed chart with the --values files to stdout or
// DIR/clusterbackup-seed.yaml.
func renderSeed(s streams, fs *flag.FlagSet, rf *renderFlags, out, format string) error {
	var bad []string
	fs.Visit(func(fl *flag.Flag) {
		if !seedFlags[fl.Name] {
			bad = append(bad, "--"+fl.Name)
		}
	})
	if len(bad) > 0 {
		return fmt.Errorf("%w: --seed takes only --values, --kube-version and -o, not %v", errUsage, bad)
	}
	if format != "yaml" {
		return fmt.Errorf("%w: --seed renders yaml only", errUsage)
	}
	vals, err := loadValueFiles(rf.values)
	if err != nil {
		return err
	}
	res, err := renderer.RenderSeed(renderer.SeedOptions{KubeVersion: rf.kubeVersion(), Values: vals})
	if err != nil {
		return err
	}
	if out == "-" {
		return res.WriteYAML(s.Out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, seedFile), res.YAML(), 0o644)
}
