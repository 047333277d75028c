//go:build !webhookonly

package main

// Input files of the policy and download commands, read with the one input
// loader (internal/input).

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// loadTarget reads the --cluster and --cbsl files (exactly one object each)
// and resolves the cluster's storage target from them; it returns the CBSL
// and the target.
func loadTarget(clusterFile, cbslFile string) (*kkpv1.ClusterBackupStorageLocation, storage.Location, error) {
	c, err := loadCluster(clusterFile)
	if err != nil {
		return nil, storage.Location{}, err
	}
	loc, err := loadCBSL(cbslFile)
	if err != nil {
		return nil, storage.Location{}, err
	}
	t, err := storage.TargetFor(c, loc)
	if err != nil {
		return nil, storage.Location{}, fmt.Errorf("%s, %s: %w", clusterFile, cbslFile, err)
	}
	return loc, t, nil
}

// kindCounts says what else a file held, for an error that names it.
func kindCounts(o *input.Objects) string {
	var parts []string
	for _, k := range []struct {
		kind string
		n    int
	}{{kkpv1.KindCluster, len(o.Clusters)}, {kkpv1.KindClusterBackupStorageLocation, len(o.CBSLs)}, {"Secret", len(o.Secrets)}} {
		if k.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k.n, k.kind))
		}
	}
	if len(parts) == 0 {
		return "no object"
	}
	return strings.Join(parts, ", ")
}

// loadCluster reads the one Cluster of a file.
func loadCluster(file string) (*kkpv1.Cluster, error) {
	return loadOne(file, kkpv1.KindCluster, func(o *input.Objects) []input.Sourced[*kkpv1.Cluster] { return o.Clusters })
}

// loadCBSL reads the one ClusterBackupStorageLocation of a file.
func loadCBSL(file string) (*kkpv1.ClusterBackupStorageLocation, error) {
	return loadOne(file, kkpv1.KindClusterBackupStorageLocation, func(o *input.Objects) []input.Sourced[*kkpv1.ClusterBackupStorageLocation] { return o.CBSLs })
}

// loadOne reads a file and returns its one object of kind, picked by pick.
// Objects of other kinds are ignored, as check, render and fleet ignore
// what they do not need: the file KKP users keep — a CBSL and its Secret in
// one — serves --cbsl and --secret alike.
func loadOne[T any](file, kind string, pick func(*input.Objects) []input.Sourced[T]) (T, error) {
	var zero T
	o, err := input.Load(nil, file)
	if err != nil {
		return zero, err
	}
	switch objs := pick(o); len(objs) {
	case 1:
		return objs[0].Object, nil
	case 0:
		return zero, fmt.Errorf("%s: no %s in the file (it holds %s)", file, kind, kindCounts(o))
	default:
		return zero, fmt.Errorf("%s: %d objects of kind %s in the file, expected one", file, len(objs), kind)
	}
}

// loadSecrets reads the Secrets of a file (at least one); objects of
// other kinds are ignored.
func loadSecrets(file string) (*input.Objects, error) {
	o, err := input.Load(nil, file)
	if err != nil {
		return nil, err
	}
	if len(o.Secrets) == 0 {
		return nil, fmt.Errorf("%s: no Secret in the file (it holds %s)", file, kindCounts(o))
	}
	return o, nil
}

// firstSecret is the first Secret read.
func firstSecret(o *input.Objects) *corev1.Secret { return o.Secrets[0].Object }
