//go:build !webhookonly

package main

// Input files of the policy and download commands, read with the one input
// loader (internal/input).

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// loadTarget reads the --cluster and --cbsl files (exactly one object each)
// and resolves the cluster's storage target from them; it returns the CBSL
// and the target.
func loadTarget(clusterFile, cbslFile string) (*kkpv1.ClusterBackupStorageLocation, storage.Target, error) {
	c, err := loadCluster(clusterFile)
	if err != nil {
		return nil, storage.Target{}, err
	}
	loc, err := loadCBSL(cbslFile)
	if err != nil {
		return nil, storage.Target{}, err
	}
	t, err := storage.TargetFor(c, loc)
	if err != nil {
		return nil, storage.Target{}, fmt.Errorf("%s, %s: %w", clusterFile, cbslFile, err)
	}
	return loc, t, nil
}

// onlyKind checks that a file held exactly one object of kind want and
// none of another kind.
func onlyKind(file, want string, o *input.Objects) error {
	n := map[string]int{kkpv1.KindCluster: len(o.Clusters), kkpv1.KindClusterBackupStorageLocation: len(o.CBSLs), "Secret": len(o.Secrets)}
	for kind, c := range n {
		if kind != want && c > 0 {
			return fmt.Errorf("%s: holds a %s, expected a %s", file, kind, want)
		}
	}
	switch n[want] {
	case 0:
		return fmt.Errorf("%s: no object in the file, expected a %s", file, want)
	case 1:
		return nil
	}
	return fmt.Errorf("%s: %d objects in the file, expected one %s", file, n[want], want)
}

// loadCluster reads a file holding exactly one Cluster.
func loadCluster(file string) (*kkpv1.Cluster, error) {
	return loadOne(file, kkpv1.KindCluster, func(o *input.Objects) []input.Sourced[*kkpv1.Cluster] { return o.Clusters })
}

// loadCBSL reads a file holding exactly one ClusterBackupStorageLocation.
func loadCBSL(file string) (*kkpv1.ClusterBackupStorageLocation, error) {
	return loadOne(file, kkpv1.KindClusterBackupStorageLocation, func(o *input.Objects) []input.Sourced[*kkpv1.ClusterBackupStorageLocation] { return o.CBSLs })
}

// loadOne reads a file holding exactly one object of kind, picked by pick.
func loadOne[T any](file, kind string, pick func(*input.Objects) []input.Sourced[T]) (T, error) {
	var zero T
	o, err := input.Load(nil, file)
	if err != nil {
		return zero, err
	}
	if err := onlyKind(file, kind, o); err != nil {
		return zero, err
	}
	return pick(o)[0].Object, nil
}

// loadSecrets reads a file of Secrets (at least one).
func loadSecrets(file string) (*input.Objects, error) {
	o, err := input.Load(nil, file)
	if err != nil {
		return nil, err
	}
	if len(o.Clusters)+len(o.CBSLs) > 0 || len(o.Secrets) == 0 {
		return nil, fmt.Errorf("%s: expected Secrets only", file)
	}
	return o, nil
}

// firstSecret is the first Secret read.
func firstSecret(o *input.Objects) *corev1.Secret { return o.Secrets[0].Object }
