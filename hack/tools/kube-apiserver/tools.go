//go:build tools

// Package tools pins k8s.io/kubernetes so its kube-apiserver (for envtest)
// and the node components (kube-controller-manager, kube-scheduler, kubelet,
// kube-proxy, for the node harness) can be built from the Go module proxy
// with one set of checksums.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
