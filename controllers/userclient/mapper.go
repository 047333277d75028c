package userclient

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Each cached client needs a RESTMapper (kind → resource and scope). A
// discovery-backed one per cluster costs a few discovery reads at first use
// and keeps every API group's resource list it fetched, per cluster; with a
// thousand clusters that is most of the seed process's memory. The kinds
// the seed's loops touch are known at compile time, so they are mapped by
// one static table shared by every client (knownKinds), and only a kind
// outside it (a release rendering an optional add-on: cert-manager,
// External Secrets, mutating admission policies) asks the cluster's own
// lazily filled mapper. TestKnownKindsMatchDiscovery checks the table
// against a real API server.

// knownKind is one kind of the static table.
type knownKind struct {
	gvk        schema.GroupVersionKind
	namespaced bool
}

// knownKinds are the kinds the release, credentials, rollout and drill
// loops read or apply in user clusters, in API versions every supported
// Kubernetes serves (Velero's CRDs are the release's own).
var knownKinds = func() []knownKind {
	var out []knownKind
	add := func(group, version string, namespaced bool, kinds ...string) {
		for _, k := range kinds {
			out = append(out, knownKind{schema.GroupVersionKind{Group: group, Version: version, Kind: k}, namespaced})
		}
	}
	add("", "v1", true, "ConfigMap", "Secret", "Service", "ServiceAccount", "Pod", "PersistentVolumeClaim", "Event")
	add("", "v1", false, "Namespace", "Node", "PersistentVolume")
	add("apps", "v1", true, "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet")
	add("rbac.authorization.k8s.io", "v1", true, "Role", "RoleBinding")
	add("rbac.authorization.k8s.io", "v1", false, "ClusterRole", "ClusterRoleBinding")
	add("apiextensions.k8s.io", "v1", false, "CustomResourceDefinition")
	add("policy", "v1", true, "PodDisruptionBudget")
	add("networking.k8s.io", "v1", true, "NetworkPolicy")
	add("admissionregistration.k8s.io", "v1", false, "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
	add("velero.io", "v1", true, "Backup", "BackupRepository", "BackupStorageLocation", "DeleteBackupRequest", "DownloadRequest",
		"PodVolumeBackup", "PodVolumeRestore", "Restore", "Schedule", "ServerStatusRequest", "VolumeSnapshotLocation")
	add("velero.io", "v2alpha1", true, "DataDownload", "DataUpload")
	return out
}()

// staticMapper maps knownKinds; shared by every client, read-only.
var staticMapper = sync.OnceValue(func() meta.RESTMapper {
	var gvs []schema.GroupVersion
	for _, k := range knownKinds {
		gvs = append(gvs, k.gvk.GroupVersion())
	}
	m := meta.NewDefaultRESTMapper(gvs)
	for _, k := range knownKinds {
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		m.Add(k.gvk, scope)
	}
	return m
})

// fallbackMapper answers from static and asks dynamic (the cluster's own
// discovery, filled lazily) only for what static does not know.
type fallbackMapper struct {
	static, dynamic meta.RESTMapper
}

var _ meta.RESTMapper = fallbackMapper{}

// first returns static's answer unless static knows nothing of it.
func first[T any](static func() (T, error), dynamic func() (T, error)) (T, error) {
	v, err := static()
	if err == nil || !meta.IsNoMatchError(err) {
		return v, err
	}
	return dynamic()
}

// KindFor implements meta.RESTMapper.
func (m fallbackMapper) KindFor(r schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	return first(func() (schema.GroupVersionKind, error) { return m.static.KindFor(r) },
		func() (schema.GroupVersionKind, error) { return m.dynamic.KindFor(r) })
}

// KindsFor implements meta.RESTMapper.
func (m fallbackMapper) KindsFor(r schema.GroupVersionResource) ([]schema.GroupVersionKind, error) {
	return first(func() ([]schema.GroupVersionKind, error) { return m.static.KindsFor(r) },
		func() ([]schema.GroupVersionKind, error) { return m.dynamic.KindsFor(r) })
}

// ResourceFor implements meta.RESTMapper.
func (m fallbackMapper) ResourceFor(r schema.GroupVersionResource) (schema.GroupVersionResource, error) {
	return first(func() (schema.GroupVersionResource, error) { return m.static.ResourceFor(r) },
		func() (schema.GroupVersionResource, error) { return m.dynamic.ResourceFor(r) })
}

// ResourcesFor implements meta.RESTMapper.
func (m fallbackMapper) ResourcesFor(r schema.GroupVersionResource) ([]schema.GroupVersionResource, error) {
	return first(func() ([]schema.GroupVersionResource, error) { return m.static.ResourcesFor(r) },
		func() ([]schema.GroupVersionResource, error) { return m.dynamic.ResourcesFor(r) })
}

// RESTMapping implements meta.RESTMapper.
func (m fallbackMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	return first(func() (*meta.RESTMapping, error) { return m.static.RESTMapping(gk, versions...) },
		func() (*meta.RESTMapping, error) { return m.dynamic.RESTMapping(gk, versions...) })
}

// RESTMappings implements meta.RESTMapper.
func (m fallbackMapper) RESTMappings(gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	return first(func() ([]*meta.RESTMapping, error) { return m.static.RESTMappings(gk, versions...) },
		func() ([]*meta.RESTMapping, error) { return m.dynamic.RESTMappings(gk, versions...) })
}

// ResourceSingularizer implements meta.RESTMapper (static's error for an
// unknown resource is not a NoMatch error).
func (m fallbackMapper) ResourceSingularizer(resource string) (string, error) {
	if s, err := m.static.ResourceSingularizer(resource); err == nil {
		return s, nil
	}
	return m.dynamic.ResourceSingularizer(resource)
}
