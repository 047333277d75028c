package fleet

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Cluster is one cluster to inventory: where its backups live and which
// Schedules it runs.
type Cluster struct {
	// ProjectID and ClusterID identify the cluster.
	ProjectID, ClusterID string
	// Location is the cluster's storage location (storage.Resolve, then
	// Location.ForCluster): bucket, endpoint, credentials, CA and the
	// cluster's effective prefix.
	Location storage.Location
	// Err says why the location could not be resolved (a missing Secret, a
	// broken rule); the cluster is then Unreachable with this message.
	Err error
	// Schedules are the Schedules deployed into the cluster.
	Schedules []Schedule
	// Release is the seed release loop's state of the cluster's Velero
	// release; empty when unknown (a fleet deployed by GitOps, a seed
	// without the release loop).
	Release ReleaseInfo
}

// ReleaseInfo is what the seed's release loop recorded about a cluster's
// Velero release (controllers/release).
type ReleaseInfo struct {
	// State is the release's phase: pending, applied, disabled, skipped or
	// failed.
	State string `json:"state,omitempty"`
	// VeleroVersion is the Velero version rendered for the cluster.
	VeleroVersion string `json:"veleroVersion,omitempty"`
	// Generation is the render configuration generation last applied
	// (controllers/rollout, docs/rollout.md).
	Generation string `json:"generation,omitempty"`
}

// Known reports whether anything is known about the release.
func (r ReleaseInfo) Known() bool { return r != ReleaseInfo{} }

// ReleaseStates returns the release state of every cluster among cms, by
// cluster ID: the ConfigMaps labelled kkpv1.ClusterIDLabel (the release
// loop's state ConfigMaps) with their kkpv1.ReleaseStateAnnotation and
// kkpv1.ReleaseVeleroVersionAnnotation (and the configuration generation,
// kkpv1.ReleaseGenerationAnnotation). Other ConfigMaps are ignored.
func ReleaseStates(cms []corev1.ConfigMap) map[string]ReleaseInfo {
	out := map[string]ReleaseInfo{}
	for i := range cms {
		id := cms[i].Labels[kkpv1.ClusterIDLabel]
		if id == "" {
			continue
		}
		a := cms[i].Annotations
		r := ReleaseInfo{State: a[kkpv1.ReleaseStateAnnotation], VeleroVersion: a[kkpv1.ReleaseVeleroVersionAnnotation], Generation: a[kkpv1.ReleaseGenerationAnnotation]}
		if r.Known() {
			out[id] = r
		}
	}
	return out
}

// ClusterFor returns the Cluster of a KKP Cluster and the CBSL it names,
// judged once by the storage core (storage.ResolveCluster: the rules, the
// credential and CA Secrets and the cluster's prefix). A problem is
// recorded in Cluster.Err, naming the object and the broken rules, never a
// secret.
func ClusterFor(ctx context.Context, c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation, get storage.SecretGetter, schedules []Schedule) Cluster {
	out := Cluster{ProjectID: c.ProjectID(), ClusterID: c.Name, Schedules: schedules}
	if cbsl == nil {
		out.Err = fmt.Errorf("cluster %q: spec.backupConfig.backupStorageLocation: ClusterBackupStorageLocation %q not found", c.Name, c.StorageLocationName())
		return out
	}
	loc, err := storage.ResolveCluster(ctx, c, cbsl, get)
	if err != nil {
		// Where the data lives, for the report, without credentials.
		out.Location = storage.Location{Bucket: loc.Bucket, Endpoint: loc.Endpoint, Prefix: loc.Prefix}
		out.Err = err
		return out
	}
	out.Location = loc
	return out
}
