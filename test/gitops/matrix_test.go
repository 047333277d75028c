package gitopstest

import (
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestMatrix renders the three example clusters through every GitOps path,
// for four option sets (defaults, the hardened overlay, a registry mirror
// without node-agent, disabled with the hardened overlay), and requires the
// same object set as the library (order-independent; objects compared as
// canonical JSON). No normalization is needed: the chart adds no Helm
// labels (its managed-by label is clusterbackup's), kustomize's function
// annotations do not survive into its output, and the Flux equivalent runs
// the user post-renderers only (a real helm-controller also adds its two
// helm.toolkit.fluxcd.io/{name,namespace} origin labels; see docs/gitops.md).
func TestMatrix(t *testing.T) {
	fleet := exampleFleet(t)
	apps := applicationsFromSet(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			cli := viaCLI(t, v)
			for _, in := range fleet {
				id := in.ClusterID()
				t.Run(id, func(t *testing.T) {
					want := objectSet(t, "library", viaLibrary(t, v, in))
					app, ok := apps[id]
					if !ok {
						t.Fatalf("the ApplicationSet makes no Application for cluster %s", id)
					}
					paths := []struct {
						name string
						objs func() []object
					}{
						{"render CLI", func() []object { return cli[id] }},
						{"argocd cmp generate", func() []object { return viaCMP(t, v, app) }},
						{"kustomize KRM function", func() []object { return viaKRM(t, v, id) }},
						{"helm CLI" + map[bool]string{true: " + kustomize CLI overlay", false: ""}[v.opts.Overlay != ""], func() []object { return viaHelmCLI(t, v, id) }},
						{"flux HelmRelease", func() []object { return viaFlux(t, v, id) }},
					}
					for _, p := range paths {
						testenv.CompareObjectSets(t, p.name+" vs library", want, objectSet(t, p.name, p.objs()))
					}
				})
			}
		})
	}
}
