// Package node starts a real single-node Kubernetes v1.37 on this machine,
// as root: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// containerd, kubelet, kube-proxy and a NetworkPolicy enforcer, on a
// test-only network (net.go), with images built without a Docker daemon
// (images.go) and imported under the air-gap registry. Start or New start
// it, Node.Reset brings it back to its start state between tests,
// Node.Stop tears it down and removes every host change it made (routes,
// iptables chains, mounts). Only test/node uses it; the start takes the
// machine-wide "node" lock so test binaries take turns.
//
// It may import the core internal/testenv (processes, tools, locks),
// client-go and controller-runtime; nothing of the module under test.
package node
