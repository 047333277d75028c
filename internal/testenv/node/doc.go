// Package node starts a real single-node Kubernetes v1.37 on this machine,
// as root: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// containerd, kubelet, kube-proxy and a NetworkPolicy enforcer, on a
// test-only network (net.go), with images built without a Docker daemon
// (images.go) and imported under the air-gap registry. Start or New start
// it, Node.Reset brings it back to its start state between tests,
// Node.Stop tears it down and removes every host change it made (routes,
// iptables chains, mounts). Only test/node uses it; the start takes the
// machine-wide "node" lock so test binaries take turns, and first undoes
// what a run killed before its teardown left (recover.go).
//
// Its files:
//
//   - node.go: Options, Node, Start and New (the start's order);
//   - components.go, config.go, pki.go: each component's start, its
//     configuration and certificates;
//   - images.go: the images built and imported into containerd;
//   - net.go, netpol.go: the test-only network and the NetworkPolicy
//     enforcer;
//   - mount.go: the kubelet root's bind mount and unmounting;
//   - proc.go: a component's process (started, or a dead run's taken over);
//   - record.go, recover.go: the record of what a run creates, and the
//     next start undoing a run that died without its teardown;
//   - stop.go, reset.go: the teardown, and the reset between tests;
//   - logs.go, probe.go, prereq.go: logs, probes from a pod's network,
//     and the prerequisites with the commands that install them.
//
// It may import the core internal/testenv (processes, tools, locks), its
// kubeenv room (the scheme), client-go and controller-runtime; nothing of
// the module under test.
package node
