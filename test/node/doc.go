// Package node runs the rendered release as pods on a real single-node
// Kubernetes (internal/testenv/node.Start): images built without a Docker
// daemon and imported into containerd under the air-gap registry the chart
// renders with --registry, the release applied with server-side apply as
// GitOps would, and File System Backup of a local PV through the
// node-agent into a real S3 server (versitygw on the node address).
//
// The tests share one node (nodeFor): the first starts it, and after each
// test node.Node.Reset deletes what the test created.
//
// Run with `make e2e-node`; `make test` runs it too. It needs root and the
// Debian packages of `make node-deps`.
package node
