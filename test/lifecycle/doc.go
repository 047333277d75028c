// Package lifecycle is the acceptance test of a cluster's life cycle without
// data loss (docs/lifecycle.md): a real kube-apiserver guarded by our
// user-mode webhook and the rendered admission policies gets the release
// applied with server-side apply and Argo CD-style pruning through an
// upgrade from the previous pinned Velero pair, a storage switch, disabling
// and a refused purge, while Backup objects, CRDs and BSLs survive; the
// `clusterbackup diff` command judges every transition.
package lifecycle
