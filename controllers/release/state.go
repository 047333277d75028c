package release

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// The seed remembers, per cluster, what the release depends on beyond the
// Cluster and its current CBSL: the location last rendered and the
// previous locations, in ConfigMap StateConfigMapPrefix+<clusterID> of the
// state namespace. It lives in the seed's API, so a restart or a new leader
// renders the same release, and the Cluster's CBSL may change or go while
// the old location is still known. A CBSL spec holds only a Secret
// reference, so no secret is ever stored here. The loop writes it before
// applying a render that depends on it (write-ahead) and never deletes it.

// State ConfigMap names, labels and keys.
const (
	// StateConfigMapPrefix + cluster ID names a cluster's state ConfigMap.
	StateConfigMapPrefix = "clusterbackup-release-"
	// ClusterIDLabel holds the cluster ID on the state ConfigMap.
	ClusterIDLabel = kkpv1.ClusterIDLabel
	// StateAnnotation and StateVeleroVersionAnnotation record the
	// cluster's Phase and the Velero version rendered on its state
	// ConfigMap, written when they change (the fleet status reads them).
	StateAnnotation              = kkpv1.ReleaseStateAnnotation
	StateVeleroVersionAnnotation = kkpv1.ReleaseVeleroVersionAnnotation
	// StateGenerationAnnotation records the configuration generation last
	// applied (State.Generation).
	StateGenerationAnnotation = kkpv1.ReleaseGenerationAnnotation
	// ManagedByLabel and ManagedByValue mark objects the loop writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "clusterbackup"
	// ComponentLabel says which of them it is (ComponentState,
	// ComponentInventory).
	ComponentLabel = "app.kubernetes.io/component"
	// ComponentState marks the seed's state ConfigMaps.
	ComponentState = "release-state"

	// StateKeyLocation holds the location last rendered (a trimmed CBSL:
	// name, project-id label, spec) as JSON.
	StateKeyLocation = "location"
	// StateKeyPrevious holds the previous locations (BSL name and trimmed
	// CBSL each) as JSON.
	StateKeyPrevious = "previousLocations"
	// StateKeyLifecycle is "enabled" or "disabled", for people reading it.
	StateKeyLifecycle = "lifecycle"
	// StateKeyBSLName holds the managed BSL's name in the user cluster
	// (absent in state written before it: "default").
	StateKeyBSLName = "bslName"
)

// memory is one cluster's state as stored on the seed.
type memory struct {
	// Location is the location last rendered (nil: never enabled).
	Location *kkpv1.ClusterBackupStorageLocation
	// Previous are the earlier locations, rendered as read-only BSLs.
	Previous []previousLocation
	// Disabled says the last render was the disabled release.
	Disabled bool
	// BSLName is the managed BSL's name, fixed when the cluster is first
	// enabled (lifecycle.go).
	BSLName string
}

// previousLocation is one remembered earlier location.
type previousLocation struct {
	// BSL is the name of its read-only BSL in the user cluster.
	BSL string `json:"bsl"`
	// CBSL is the trimmed old CBSL.
	CBSL *kkpv1.ClusterBackupStorageLocation `json:"cbsl"`
}

// equal reports whether two memories store the same.
func (m memory) equal(o memory) bool {
	return reflect.DeepEqual(m.data(), o.data())
}

// trimCBSL keeps what the state needs of a CBSL: name, namespace, the
// project-id label and the spec (status, other labels and metadata go).
func trimCBSL(c *kkpv1.ClusterBackupStorageLocation) *kkpv1.ClusterBackupStorageLocation {
	if c == nil {
		return nil
	}
	out := &kkpv1.ClusterBackupStorageLocation{
		TypeMeta:   metav1.TypeMeta{APIVersion: kkpv1.GroupVersion.String(), Kind: kkpv1.KindClusterBackupStorageLocation},
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: c.Namespace},
		Spec:       *c.Spec.DeepCopy(),
	}
	if p, ok := c.Labels[kkpv1.ProjectIDLabel]; ok {
		out.Labels = map[string]string{kkpv1.ProjectIDLabel: p}
	}
	return out
}

// data encodes the memory as ConfigMap data.
func (m memory) data() map[string]string {
	d := map[string]string{StateKeyLifecycle: "enabled"}
	if m.Disabled {
		d[StateKeyLifecycle] = "disabled"
	}
	if m.Location != nil {
		b, _ := json.Marshal(m.Location) // plain structs: cannot fail
		d[StateKeyLocation] = string(b)
	}
	if len(m.Previous) > 0 {
		b, _ := json.Marshal(m.Previous)
		d[StateKeyPrevious] = string(b)
	}
	if m.BSLName != "" {
		d[StateKeyBSLName] = m.BSLName
	}
	return d
}

// parseMemory decodes ConfigMap data; name names the ConfigMap in errors.
func parseMemory(name string, d map[string]string) (memory, error) {
	var m memory
	m.Disabled = d[StateKeyLifecycle] == "disabled"
	if m.BSLName = d[StateKeyBSLName]; m.BSLName == "" {
		m.BSLName = managedBSLName
	}
	if s := d[StateKeyLocation]; s != "" {
		m.Location = &kkpv1.ClusterBackupStorageLocation{}
		if err := json.Unmarshal([]byte(s), m.Location); err != nil {
			return memory{}, fmt.Errorf("state configmap %s key %s: %w", name, StateKeyLocation, err)
		}
	}
	if s := d[StateKeyPrevious]; s != "" {
		if err := json.Unmarshal([]byte(s), &m.Previous); err != nil {
			return memory{}, fmt.Errorf("state configmap %s key %s: %w", name, StateKeyPrevious, err)
		}
		for i, p := range m.Previous {
			if p.BSL == "" || p.CBSL == nil {
				return memory{}, fmt.Errorf("state configmap %s key %s: entry %d needs bsl and cbsl", name, StateKeyPrevious, i)
			}
		}
	}
	return m, nil
}

// stateStore reads and writes the state ConfigMaps.
type stateStore struct {
	// client writes; reader reads (uncached: the state must be read as
	// stored, also by a new leader).
	client    client.Client
	reader    client.Reader
	namespace string
}

// storedMemory is a memory with the ConfigMap it was read from (nil: none).
type storedMemory struct {
	memory
	cm *corev1.ConfigMap
}

func (s *stateStore) key(cluster string) client.ObjectKey {
	return client.ObjectKey{Namespace: s.namespace, Name: StateConfigMapPrefix + cluster}
}

// load reads a cluster's state; a missing ConfigMap is an empty memory.
func (s *stateStore) load(ctx context.Context, cluster string) (storedMemory, error) {
	var cm corev1.ConfigMap
	key := s.key(cluster)
	if err := s.reader.Get(ctx, key, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return storedMemory{}, nil
		}
		return storedMemory{}, fmt.Errorf("read state configmap %s: %w", key, err)
	}
	m, err := parseMemory(key.String(), cm.Data)
	if err != nil {
		return storedMemory{}, err
	}
	return storedMemory{memory: m, cm: &cm}, nil
}

// save writes m when it differs from what st holds, creating the ConfigMap
// or updating it under optimistic concurrency (a concurrent change is a
// conflict error, and the next reconcile starts from what is stored). It
// returns the ConfigMap as stored afterwards.
func (s *stateStore) save(ctx context.Context, cluster string, st storedMemory, m memory) (*corev1.ConfigMap, error) {
	if st.cm != nil && st.memory.equal(m) {
		return st.cm, nil
	}
	key := s.key(cluster)
	labels := map[string]string{ClusterIDLabel: cluster, ManagedByLabel: ManagedByValue, ComponentLabel: ComponentState}
	if st.cm == nil {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace, Labels: labels}, Data: m.data()}
		if err := s.client.Create(ctx, cm); err != nil {
			return nil, fmt.Errorf("create state configmap %s: %w", key, err)
		}
		return cm, nil
	}
	cm := st.cm.DeepCopy()
	if cm.Labels == nil {
		cm.Labels = map[string]string{}
	}
	for k, v := range labels {
		cm.Labels[k] = v
	}
	cm.Data = m.data()
	if err := s.client.Update(ctx, cm); err != nil {
		return nil, fmt.Errorf("update state configmap %s: %w", key, err)
	}
	return cm, nil
}

// annotate records phase, version and configuration generation on the
// state ConfigMap cm (as last read or written) with a merge patch, only
// when they differ from what cm holds (an empty version removes its
// annotation, an empty generation keeps the one recorded).
func (s *stateStore) annotate(ctx context.Context, cm *corev1.ConfigMap, phase Phase, version, generation string) error {
	a := cm.GetAnnotations()
	_, hasVersion := a[StateVeleroVersionAnnotation]
	if a[StateAnnotation] == string(phase) && a[StateVeleroVersionAnnotation] == version && (version != "" || !hasVersion) &&
		(generation == "" || a[StateGenerationAnnotation] == generation) {
		return nil
	}
	next := cm.DeepCopy()
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[StateAnnotation] = string(phase)
	if version != "" {
		next.Annotations[StateVeleroVersionAnnotation] = version
	} else {
		delete(next.Annotations, StateVeleroVersionAnnotation)
	}
	if generation != "" {
		next.Annotations[StateGenerationAnnotation] = generation
	}
	if err := s.client.Patch(ctx, next, client.MergeFrom(cm)); err != nil {
		return fmt.Errorf("annotate state configmap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	*cm = *next
	return nil
}
