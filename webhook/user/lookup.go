package user

import (
	"context"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CacheLookup implements velero.Lookup over controller-runtime readers:
// BSLs and namespaces from the manager's informer cache, so Backup, Schedule
// and BSL reviews make no API call; Backups live from the API server.
type CacheLookup struct {
	// Reader reads BSLs and namespaces; use the manager's cache.
	Reader client.Reader
	// Backups reads Backups, which only Restore creates need; use the
	// manager's API reader. Caching Backups would make the webhook's memory
	// grow with the cluster's backup history and cost a watch event decode
	// per Backup write. Default: Reader.
	Backups client.Reader
	// Namespace is Velero's namespace.
	Namespace string
}

func (l *CacheLookup) backups() client.Reader {
	if l.Backups != nil {
		return l.Backups
	}
	return l.Reader
}

// BSL implements velero.Lookup.
func (l *CacheLookup) BSL(ctx context.Context, name string) (*velerov1.BackupStorageLocation, error) {
	var b velerov1.BackupStorageLocation
	return getOrNil(ctx, l.Reader, client.ObjectKey{Namespace: l.Namespace, Name: name}, &b)
}

// BSLs implements velero.Lookup.
func (l *CacheLookup) BSLs(ctx context.Context) ([]velerov1.BackupStorageLocation, error) {
	var list velerov1.BackupStorageLocationList
	if err := l.Reader.List(ctx, &list, client.InNamespace(l.Namespace)); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Backup implements velero.Lookup.
func (l *CacheLookup) Backup(ctx context.Context, name string) (*velerov1.Backup, error) {
	var b velerov1.Backup
	return getOrNil(ctx, l.backups(), client.ObjectKey{Namespace: l.Namespace, Name: name}, &b)
}

// BackupsOfSchedule implements velero.Lookup.
func (l *CacheLookup) BackupsOfSchedule(ctx context.Context, schedule string) ([]velerov1.Backup, error) {
	var list velerov1.BackupList
	if err := l.backups().List(ctx, &list, client.InNamespace(l.Namespace), client.MatchingLabels{velerov1.ScheduleNameLabel: schedule}); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// NamespaceExists implements velero.Lookup; namespaces are cached as
// metadata only.
func (l *CacheLookup) NamespaceExists(ctx context.Context, name string) (bool, error) {
	ns := namespaceMeta()
	if err := l.Reader.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// namespaceMeta is the metadata-only Namespace the cache watches.
func namespaceMeta() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	return m
}

func getOrNil[T any, P interface {
	*T
	client.Object
}](ctx context.Context, r client.Reader, key client.ObjectKey, obj P) (P, error) {
	if err := r.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return obj, nil
}
