// Package testenv starts the real components clusterbackup's integration
// tests run against: a kube-apiserver + etcd through controller-runtime's
// envtest (with Velero's and our CRDs installed), a versitygw S3 server on
// 127.0.0.1 and the real Velero server. Every binary comes from
// hack/tools.sh's cache; a missing one fails the test with the command that
// installs it. Nothing is skipped.
//
// The core holds the parts every room shares: starting and stopping
// processes (process.go, binary.go, tools.go, machinelock.go), the API
// server, its clients and the managers run against it (kube.go,
// webhooks.go, manager.go, metrics.go, logs.go), S3 and what is bound to a
// running S3 server or the fleet loader (s3.go, location.go, kkp.go), small
// servers that count or hang (netfixtures.go), Velero (velero.go,
// veleroargs.go, standin.go) and the checks and waits tests share
// (assert.go's Must, binary.go's Eventually, never.go's Never, objects.go).
// The rooms next to it import the core, never the other way:
//
//   - node: the single-node Kubernetes (kubelet + containerd) of test/node;
//   - browser: headless chromium for the HTML reports;
//   - fixtures: object builders that need no server (BSL, GoodCBSL); it
//     imports only api/v1 and API types, so pure rule tests stay light.
//
// The core may import the module's api, examples, internal/input,
// internal/storage and webhook/testcert (the one test CA) packages,
// controller-runtime, client-go and the SDKs; it must not import a room or
// any package under test.
package testenv
