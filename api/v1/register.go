package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of KKP's seed objects.
var GroupVersion = schema.GroupVersion{Group: "kubermatic.k8c.io", Version: "v1"}

var (
	// SchemeBuilder registers this package's types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&ClusterBackupStorageLocation{}, &ClusterBackupStorageLocationList{},
		&Cluster{}, &ClusterList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

// Kind names, for error messages and input decoding.
const (
	KindClusterBackupStorageLocation = "ClusterBackupStorageLocation"
	KindCluster                      = "Cluster"
)

// Resource returns the GroupResource of a resource name in this group.
func Resource(resource string) schema.GroupResource {
	return GroupVersion.WithResource(resource).GroupResource()
}

var _ runtime.Object = &Cluster{}
