package v1

import (
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterBackupStorageLocation is a project's S3 storage location that user
// clusters are assigned to. It wraps Velero's BackupStorageLocation: both types
// share the same spec, and the status is Velero's BSL status.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=cbsl,scope=Namespaced
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Bucket",type=string,JSONPath=`.spec.objectStorage.bucket`
// +kubebuilder:printcolumn:name="Prefix",type=string,JSONPath=`.spec.objectStorage.prefix`
// +kubebuilder:printcolumn:name="Last Validated",type=date,JSONPath=`.status.lastValidationTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterBackupStorageLocation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   velerov1.BackupStorageLocationSpec   `json:"spec,omitempty"`
	Status velerov1.BackupStorageLocationStatus `json:"status,omitempty"`
}

// ClusterBackupStorageLocationList is a list of ClusterBackupStorageLocations.
//
// +kubebuilder:object:root=true
type ClusterBackupStorageLocationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []ClusterBackupStorageLocation `json:"items"`
}
