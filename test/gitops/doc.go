// Package gitopstest holds the GitOps matrix test: the example fleet rendered
// through the library, the render CLI, the Argo CD plugin, the KRM function
// in the real kustomize CLI, the real helm CLI (plus an overlay through the
// real kustomize CLI) and the Flux HelmRelease equivalent must give identical
// object sets. It also keeps the generated examples (examples/ci,
// examples/flux) current: go test ./test/gitops -run TestExamplesCurrent -update
package gitopstest
