package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Cluster is the read-only subset of KKP's Cluster that clusterbackup uses:
// metadata.name is the cluster ID, the project-id label the project ID, and
// spec.backupConfig.backupStorageLocation names the cluster's CBSL. Every other
// field of a real KKP Cluster is preserved and ignored.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ClusterSpec `json:"spec,omitempty"`
}

// ClusterSpec is the part of KKP's ClusterSpec clusterbackup reads.
//
// +kubebuilder:pruning:PreserveUnknownFields
type ClusterSpec struct {
	// Version is the user cluster's Kubernetes version as KKP writes it
	// ("1.33.5"): the release loop renders for it (the admission APIs the
	// cluster serves depend on it).
	Version string `json:"version,omitempty"`
	// BackupConfig enables integrated user cluster backup.
	BackupConfig *BackupConfig `json:"backupConfig,omitempty"`
}

// BackupConfig assigns a CBSL to a cluster.
type BackupConfig struct {
	// BackupStorageLocation names a ClusterBackupStorageLocation in the seed's
	// kubermatic namespace.
	BackupStorageLocation *corev1.LocalObjectReference `json:"backupStorageLocation,omitempty"`
}

// ClusterList is a list of Clusters.
//
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Cluster `json:"items"`
}

// ProjectID returns the cluster's project ID (its project-id label).
func (c *Cluster) ProjectID() string { return c.Labels[ProjectIDLabel] }

// StorageLocationName returns the name of the CBSL the cluster uses, or "".
func (c *Cluster) StorageLocationName() string {
	if c.Spec.BackupConfig == nil || c.Spec.BackupConfig.BackupStorageLocation == nil {
		return ""
	}
	return c.Spec.BackupConfig.BackupStorageLocation.Name
}
