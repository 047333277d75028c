package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the API group and version of KKP's seed objects.
var GroupVersion = schema.GroupVersion{Group: "kubermatic.k8c.io", Version: "v1"}

var (
	// SchemeBuilder registers this package's types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&ClusterBackupStorageLocation{}, &ClusterBackupStorageLocationList{})
	SchemeBuilder.Register(&Cluster{}, &ClusterList{})
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
