package release_test

import (
	"fmt"

	"github.com/clusterbackup/clusterbackup/controllers/release"
)

// The seed's render configuration is a RenderConfig, the Argo CD marker
// file format: the same parameters and validation as the plugin.
func ExampleParseSettings() {
	s, err := release.ParseSettings("seed.yaml", []byte(`apiVersion: clusterbackup.io/v1alpha1
kind: RenderConfig
spec:
  registry: registry.example.com/mirror
  nodeAgent: false
`))
	fmt.Println(s.Options.Registry, s.Options.DisableNodeAgent, err)

	// What the seed drives itself is refused, naming the parameter.
	_, err = release.ParseSettings("seed.yaml", []byte(`apiVersion: clusterbackup.io/v1alpha1
kind: RenderConfig
spec:
  lifecycle: disabled
`))
	fmt.Println(err)
	// Output:
	// registry.example.com/mirror true <nil>
	// parameter lifecycle (from seed.yaml: spec.lifecycle) cannot be set in the seed's render configuration: the seed drives the life cycle from each Cluster's backupConfig
}
