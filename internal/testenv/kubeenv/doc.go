// Package kubeenv is the test kit's room for Kubernetes API servers: a real
// kube-apiserver + etcd started through controller-runtime's envtest from
// hack/tools.sh's cache (assets.go), with Velero's and our CRDs installed
// and a scheme that knows them (controlplane.go: Start, New, Scheme,
// CRDDirs, ClientAs), clients that record admission warnings
// (warnings.go), a wait for an Event (events.go: WaitEvent), and the stand-in that writes what kube-controller-manager,
// a kubelet and Velero's BSL controller would on a bare API server
// (standin.go).
//
// It imports the core internal/testenv and api/v1, nothing else of this
// module.
package kubeenv
