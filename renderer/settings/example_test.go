package settings_test

import (
	"fmt"

	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// Settings come from several sources, later ones winning; Options maps them
// onto renderer.Options and names the source of a value it refuses.
func ExampleParams_Options() {
	var p settings.Params
	doc := []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  registry: mirror.example.com\n  nodeAgent: false\n")
	if err := p.ApplyConfig("render-config.yaml", doc, false); err != nil {
		panic(err)
	}
	o, err := p.Options()
	fmt.Println(o.Registry, o.DisableNodeAgent, err)

	if err := p.Set("--registry", settings.ParamRegistry, "bad registry"); err != nil {
		panic(err)
	}
	_, err = p.Options()
	fmt.Println(err)
	// Output:
	// mirror.example.com true <nil>
	// parameter registry="bad registry" (from --registry): must be a registry host (with optional port) and optional path, without blanks or a digest
}

// The CLI's flag of a parameter, and what the CLI takes instead of a
// GitOps-only one.
func ExampleFlagName() {
	fmt.Println("--" + settings.FlagName(settings.ParamVeleroVersion))
	g, _ := settings.GitOpsOnlyFor(settings.ParamLifecycle)
	fmt.Println(g.CLI)
	// Output:
	// --velero-version
	// --disable and --purge
}
