// Package testenv is the core of clusterbackup's test kit: what every room
// of it and every integration test shares, and nothing that starts a
// server of the product's world. The real parts live in rooms next to it:
//
//   - kubeenv: kube-apiserver + etcd through controller-runtime's envtest,
//     with Velero's and our CRDs, clients as a user, warning capture, and
//     the stand-in for what a bare API server lacks;
//   - s3env: a versitygw S3 server on 127.0.0.1 and what is bound to one
//     (a storage location on it, the KKP fleet pointed at it);
//   - veleroenv: the real `velero server` process, with the flags we ship;
//   - node: the single-node Kubernetes (kubelet + containerd) of test/node;
//   - browser: headless chromium for the HTML reports;
//   - fixtures: object builders that need no server (BSL, GoodCBSL).
//
// The core holds: the cached tools of hack/tools.sh and the repository root
// (tools.go; a missing tool fails the test with the command that installs
// it, nothing is skipped), starting and stopping processes (process.go,
// binary.go for the clusterbackup binary, machinelock.go for machine-wide
// turns), free ports (ports.go), waits for a server to answer (waits.go),
// small servers that count or hang (netfixtures.go), logs and artifacts
// (logs.go, artifacts.go), metrics read from a registry (metrics.go),
// running a manager for a test (manager.go) and the checks and waits tests
// share (assert.go's Must, binary.go's Eventually, never.go's Never,
// every.go's Every for stand-in loops, objects.go's CompareObjectSets).
//
// Imports point one way: the rooms import the core, never the other way,
// and the core imports no package of this module but the one test CA
// (webhook/testcert). TestRoomsImportDownward keeps it so.
package testenv
