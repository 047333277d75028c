//go:build tools

// Package tools pins the tests' tools in one module graph with the project
// itself (required through a replace of ../..), so a package both use, such
// as k8s.io/client-go or the AWS SDK, is selected at one version and compiled
// once: hack/tools.sh builds the tools with the flags `make test` uses.
// Velero and its AWS plugin pin older Kubernetes modules and live in
// hack/tools/velero.
package tools

import _ "github.com/clusterbackup/clusterbackup/renderer"
