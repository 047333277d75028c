//go:build !webhookonly

package main

// Input files of the policy and download commands, read with the one input
// loader (internal/input).

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
)

// objectCounts says how many objects of each input kind a file must hold:
// exactly one of want, none of the others.
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
	o, err := input.Load(nil, file)
	if err != nil {
		return nil, err
	}
	if err := onlyKind(file, kkpv1.KindCluster, o); err != nil {
		return nil, err
	}
	return o.Clusters[0].Object, nil
}

// loadCBSL reads a file holding exactly one ClusterBackupStorageLocation.
func loadCBSL(file string) (*kkpv1.ClusterBackupStorageLocation, error) {
	o, err := input.Load(nil, file)
	if err != nil {
		return nil, err
	}
	if err := onlyKind(file, kkpv1.KindClusterBackupStorageLocation, o); err != nil {
		return nil, err
	}
	return o.CBSLs[0].Object, nil
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
