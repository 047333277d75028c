package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/clusterbackup/clusterbackup/internal/versions"
)

// version is set with -ldflags "-X main.version=..." by release builds.
var version = "dev"

func runVersion(_ context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(s.Out, "clusterbackup %s\nvelero %s\nvelero-plugin-for-aws %s\n", v, versions.Velero, versions.VeleroPluginForAWS)
	return nil
}
