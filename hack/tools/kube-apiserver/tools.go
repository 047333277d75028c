//go:build tools

// Package tools pins k8s.io/kubernetes so its kube-apiserver can be built from
// the Go module proxy for envtest.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
