// Package credentials tests the seed's credentials loop end to end: a seed
// (real kube-apiserver, our seed-mode process with the loop, versitygw) and
// user clusters (their own kube-apiservers), a real Velero server that
// backs up with the delivered Secrets, key rotation, cluster deletion, the
// loop under exactly the RBAC the seed chart renders, and a scan of logs,
// Events, metrics and CLI output for the secret values.
package credentials
