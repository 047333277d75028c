package velerorules

import (
	"context"
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// IsNew reports whether a Backup has not been processed by Velero yet
// (phase empty, New, Queued or ReadyToStart), the only phases in which
// Velero reads its spec.
//
// Velero 1.18 queues Backups before it starts them (New → Queued →
// ReadyToStart → InProgress) and makes its defaulting pass in the same patch
// that moves ReadyToStart to InProgress, so every phase before InProgress
// counts as new.
func IsNew(b *velerov1.Backup) bool {
	switch b.Status.Phase {
	case "", velerov1.BackupPhaseNew, velerov1.BackupPhaseQueued, velerov1.BackupPhaseReadyToStart:
		return true
	}
	return false
}

// DefaultBackup fills a new Backup's empty fields (see DefaultBackupSpec)
// and maps KKP's BSL name onto the managed BSL (MapKKPLocation), returning
// its warning. Backups Velero syncs from object storage arrive with a final
// phase and are left untouched.
func DefaultBackup(ctx context.Context, cfg *Config, l Lookup, b *velerov1.Backup) (admission.Warnings, error) {
	if b.Namespace != cfg.Namespace || !IsNew(b) {
		return nil, nil
	}
	w := MapKKPLocation(cfg, b, &b.Spec)
	return w, DefaultBackupSpec(ctx, cfg, l, &b.Spec)
}

// DefaultSchedule fills the empty fields of a Schedule's Backup template
// and maps KKP's BSL name onto the managed BSL, like DefaultBackup.
func DefaultSchedule(ctx context.Context, cfg *Config, l Lookup, s *velerov1.Schedule) (admission.Warnings, error) {
	if s.Namespace != cfg.Namespace {
		return nil, nil
	}
	w := MapKKPLocation(cfg, s, &s.Spec.Template)
	return w, DefaultBackupSpec(ctx, cfg, l, &s.Spec.Template)
}

// DefaultBackupSpec fills only what the user left empty: ttl (empty or 0s,
// as the velero CLI sends it) becomes cfg.BackupTTL, storageLocation the
// current default BSL, defaultVolumesToFsBackup cfg.DefaultVolumesToFsBackup.
// It never overwrites a value the user set, including an explicit false.
func DefaultBackupSpec(ctx context.Context, cfg *Config, l Lookup, s *velerov1.BackupSpec) error {
	if s.TTL.Duration == 0 {
		s.TTL = cfg.BackupTTL
	}
	if s.DefaultVolumesToFsBackup == nil && cfg.DefaultVolumesToFsBackup != nil {
		v := *cfg.DefaultVolumesToFsBackup
		s.DefaultVolumesToFsBackup = &v
	}
	if s.StorageLocation == "" {
		name, err := DefaultLocation(ctx, cfg, l)
		if err != nil {
			return err
		}
		s.StorageLocation = name
	}
	return nil
}

// DefaultLocation names the default BSL: the managed one when it is the
// default (or when no BSL is marked default), else the BSL marked default.
func DefaultLocation(ctx context.Context, cfg *Config, l Lookup) (string, error) {
	managed, err := l.BSL(ctx, cfg.ManagedBSLName)
	if err != nil {
		return "", fmt.Errorf("read the managed BSL %q: %w", cfg.ManagedBSLName, err)
	}
	if managed != nil && managed.Spec.Default {
		return managed.Name, nil
	}
	name, err := currentDefault(ctx, cfg, l, "")
	if err != nil || name != "" {
		return name, err
	}
	return cfg.ManagedBSLName, nil
}
