package user

import (
	"context"
	"fmt"
	"sort"
	"sync"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

// InformerLookup implements velerorules.Lookup for the webhook server. BSLs and
// namespace names are kept in maps fed by informer events, so the lookups a
// Backup, Schedule or BSL review makes are map reads under a read lock:
// reading through controller-runtime's namespaced cache instead resolved
// the object's scope with the REST mapper on every Get, a tenth of the
// webhook's CPU. Backups, which only Restore creates need, are read live.
type InformerLookup struct {
	// Backups reads Backups; use the manager's API reader. Caching Backups
	// would make memory grow with the cluster's backup history and cost a
	// watch event decode per Backup write.
	Backups client.Reader
	// Namespace is Velero's namespace.
	Namespace string
	// Authorizer answers the requester gate's SubjectAccessReviews
	// (Allowed); Setup sets a SARAuthorizer.
	Authorizer velerorules.Authorizer

	mu         sync.RWMutex
	bsls       map[string]*velerov1.BackupStorageLocation
	namespaces map[string]struct{}
	synced     []toolscache.ResourceEventHandlerRegistration
}

// NewInformerLookup feeds a lookup from c's informers for BSLs and
// namespace metadata (c should watch Velero's kinds in ns only) and reads
// Backups through backups.
func NewInformerLookup(ctx context.Context, c cache.Cache, backups client.Reader, ns string) (*InformerLookup, error) {
	l := &InformerLookup{Backups: backups, Namespace: ns,
		bsls: map[string]*velerov1.BackupStorageLocation{}, namespaces: map[string]struct{}{}}
	for _, w := range []struct {
		obj       client.Object
		set, drop func(client.Object)
	}{
		{&velerov1.BackupStorageLocation{}, l.setBSL, l.dropBSL},
		{namespaceMeta(), l.setNamespace, l.dropNamespace},
	} {
		inf, err := c.GetInformer(ctx, w.obj)
		if err != nil {
			return nil, fmt.Errorf("watch %T: %w", w.obj, err)
		}
		reg, err := inf.AddEventHandler(handler(w.set, w.drop))
		if err != nil {
			return nil, fmt.Errorf("watch %T: %w", w.obj, err)
		}
		l.synced = append(l.synced, reg)
	}
	return l, nil
}

// HasSynced reports whether both maps hold every object of the initial list.
func (l *InformerLookup) HasSynced() bool {
	for _, r := range l.synced {
		if !r.HasSynced() {
			return false
		}
	}
	return true
}

// handler turns informer events into set and drop calls.
func handler(set, drop func(client.Object)) toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { withObject(o, set) },
		UpdateFunc: func(_, o any) { withObject(o, set) },
		DeleteFunc: func(o any) {
			if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			withObject(o, drop)
		},
	}
}

func withObject(o any, f func(client.Object)) {
	if obj, ok := o.(client.Object); ok {
		f(obj)
	}
}

func (l *InformerLookup) setBSL(o client.Object) {
	b, ok := o.(*velerov1.BackupStorageLocation)
	if !ok || b.Namespace != l.Namespace {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bsls[b.Name] = b
}

func (l *InformerLookup) dropBSL(o client.Object) {
	if o.GetNamespace() != l.Namespace {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.bsls, o.GetName())
}

func (l *InformerLookup) setNamespace(o client.Object) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.namespaces[o.GetName()] = struct{}{}
}

func (l *InformerLookup) dropNamespace(o client.Object) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.namespaces, o.GetName())
}

// BSL implements velerorules.Lookup.
func (l *InformerLookup) BSL(_ context.Context, name string) (*velerov1.BackupStorageLocation, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.bsls[name], nil
}

// BSLs implements velerorules.Lookup; they come sorted by name.
func (l *InformerLookup) BSLs(context.Context) ([]velerov1.BackupStorageLocation, error) {
	l.mu.RLock()
	out := make([]velerov1.BackupStorageLocation, 0, len(l.bsls))
	for _, b := range l.bsls {
		out = append(out, *b)
	}
	l.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// NamespaceExists implements velerorules.Lookup.
func (l *InformerLookup) NamespaceExists(_ context.Context, name string) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, ok := l.namespaces[name]
	return ok, nil
}

// Backup implements velerorules.Lookup.
func (l *InformerLookup) Backup(ctx context.Context, name string) (*velerov1.Backup, error) {
	var b velerov1.Backup
	if err := l.Backups.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: name}, &b); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &b, nil
}

// BackupsOfSchedule implements velerorules.Lookup.
func (l *InformerLookup) BackupsOfSchedule(ctx context.Context, schedule string) ([]velerov1.Backup, error) {
	var list velerov1.BackupList
	if err := l.Backups.List(ctx, &list, client.InNamespace(l.Namespace), client.MatchingLabels{velerov1.ScheduleNameLabel: schedule}); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// namespaceMeta is the metadata-only Namespace the cache watches.
func namespaceMeta() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	return m
}
