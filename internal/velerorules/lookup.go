package velerorules

import (
	"context"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
)

// Lookup is the read-only view of the user cluster the rules need; the
// objects it returns may be shared with a cache and must not be modified. The
// server answers BSL and namespace lookups from an informer cache (no API
// call) and Backup lookups, which only Restore creates make, with a live
// read; every method reads Velero's namespace only (Namespace excepted).
type Lookup interface {
	// BSL returns the named BackupStorageLocation, or nil when absent.
	BSL(ctx context.Context, name string) (*velerov1.BackupStorageLocation, error)
	// BSLs returns every BackupStorageLocation.
	BSLs(ctx context.Context) ([]velerov1.BackupStorageLocation, error)
	// Backup returns the named Backup, or nil when absent.
	Backup(ctx context.Context, name string) (*velerov1.Backup, error)
	// BackupsOfSchedule returns the Backups labelled velero.io/schedule-name=schedule.
	BackupsOfSchedule(ctx context.Context, schedule string) ([]velerov1.Backup, error)
	// NamespaceExists reports whether a namespace exists.
	NamespaceExists(ctx context.Context, name string) (bool, error)
}

// Objects is a Lookup over fixed objects, for tests and tools.
type Objects struct {
	// Locations are the BSLs.
	Locations []velerov1.BackupStorageLocation
	// Backups are the Backups.
	Backups []velerov1.Backup
	// Namespaces are the existing namespace names.
	Namespaces []string
}

// BSL implements Lookup.
func (o *Objects) BSL(_ context.Context, name string) (*velerov1.BackupStorageLocation, error) {
	for i := range o.Locations {
		if o.Locations[i].Name == name {
			return &o.Locations[i], nil
		}
	}
	return nil, nil
}

// BSLs implements Lookup.
func (o *Objects) BSLs(context.Context) ([]velerov1.BackupStorageLocation, error) {
	return o.Locations, nil
}

// Backup implements Lookup.
func (o *Objects) Backup(_ context.Context, name string) (*velerov1.Backup, error) {
	for i := range o.Backups {
		if o.Backups[i].Name == name {
			return &o.Backups[i], nil
		}
	}
	return nil, nil
}

// BackupsOfSchedule implements Lookup.
func (o *Objects) BackupsOfSchedule(_ context.Context, schedule string) ([]velerov1.Backup, error) {
	var out []velerov1.Backup
	for _, b := range o.Backups {
		if b.Labels[velerov1.ScheduleNameLabel] == schedule {
			out = append(out, b)
		}
	}
	return out, nil
}

// NamespaceExists implements Lookup.
func (o *Objects) NamespaceExists(_ context.Context, name string) (bool, error) {
	for _, n := range o.Namespaces {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}
