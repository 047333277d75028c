package velerorules

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// withOwnKeys makes b sign with a credential Secret of its own.
func withOwnKeys(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
	b.Spec.Credential = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "own-keys"}, Key: "cloud"}
	return b
}

func TestValidateBSL(t *testing.T) {
	ro := velerov1.BackupStorageLocationAccessModeReadOnly
	tests := map[string]struct {
		obj      *velerov1.BackupStorageLocation
		old      *velerov1.BackupStorageLocation
		user     string
		groups   []string
		cfg      func(*Config)
		wantErr  []string
		wantWarn string
	}{
		"managed BSL created by the applier": {obj: managedBSL(), user: applier},
		"managed BSL with trailing slash prefix and upper-case endpoint": {
			obj: fixtures.BSL("default", "backups", "HTTPS://s3.example.com/", "kkp/p1/c1/", fixtures.Default), user: applier,
		},
		"managed BSL created by someone else": {obj: managedBSL(), user: alice, wantErr: []string{`spec: Forbidden: user "alice" may not change the spec of the managed BSL "default"`}},
		"any user when no editors are configured": {
			obj: managedBSL(), user: alice, cfg: func(c *Config) { c.ManagedBSLEditors = nil },
		},
		"not in the editor group": {
			obj: managedBSL(), user: alice, cfg: func(c *Config) { c.ManagedBSLEditors = nil; c.ManagedBSLEditorGroups = []string{"gitops"} },
			wantErr: []string{"may not change the spec"},
		},
		"editor by group": {
			obj: managedBSL(), user: alice, groups: []string{"system:authenticated", "gitops"},
			cfg: func(c *Config) { c.ManagedBSLEditors = nil; c.ManagedBSLEditorGroups = []string{"gitops"} },
		},
		"managed BSL drops default": {
			obj: fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1"), old: managedBSL(), user: applier,
			wantErr: []string{`spec.default: Forbidden: the managed BSL "default" must stay the default`},
		},
		"managed BSL changes bucket": {
			obj: fixtures.BSL("default", "other", "https://s3.example.com", "kkp/p1/c1", fixtures.Default), old: managedBSL(), user: applier,
			wantErr: []string{`spec.objectStorage.bucket: Invalid value: "other": the managed BSL must use the cluster's bucket "backups"`},
		},
		"managed BSL changes endpoint": {
			obj: fixtures.BSL("default", "backups", "https://evil.example.com", "kkp/p1/c1", fixtures.Default), user: applier,
			wantErr: []string{`spec.config[s3Url]: Invalid value: "https://evil.example.com"`},
		},
		"managed BSL leaves its prefix for a sibling": {
			obj: fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c10", fixtures.Default), user: applier,
			wantErr: []string{`spec.objectStorage.prefix: Invalid value: "kkp/p1/c10": the managed BSL must use exactly the cluster's prefix "kkp/p1/c1"`},
		},
		"managed BSL moves to the parent folder": {
			obj: fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1", fixtures.Default), user: applier,
			wantErr: []string{"exactly the cluster's prefix"},
		},
		"managed BSL escapes with dotdot": {
			obj: fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1/../../p2/c2", fixtures.Default), user: applier,
			wantErr: []string{`segment 5 is ".."`, "exactly the cluster's prefix"},
		},
		"managed BSL set ReadOnly warns": {
			obj: func() *velerov1.BackupStorageLocation { b := managedBSL(); b.Spec.AccessMode = ro; return b }(), user: applier,
			wantWarn: "is ReadOnly",
		},
		"status-only update by velero passes": {
			obj: func() *velerov1.BackupStorageLocation {
				b := fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c10", fixtures.Default)
				b.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
				return b
			}(),
			old:  fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c10", fixtures.Default),
			user: velero,
		},
		"metadata-only update by anyone passes": {
			obj: func() *velerov1.BackupStorageLocation {
				b := managedBSL()
				b.Labels = map[string]string{"x": "y"}
				return b
			}(),
			old: managedBSL(), user: alice,
		},
		"second default is denied naming the existing one": {
			obj: fixtures.BSL("mine", "mybucket", "https://other.example.com", "x", fixtures.Default), user: alice,
			cfg:     func(c *Config) { c.AllowOtherStorage = true },
			wantErr: []string{`spec.default: Forbidden: BSL "default" is already the default; only the managed BSL "default" may be the default`},
		},
		"another BSL on the managed bucket and endpoint": {
			obj: fixtures.BSL("sneaky", "backups", "https://s3.example.com/", "kkp/p1/c2"), user: alice,
			wantErr: []string{`spec.objectStorage: Forbidden: bucket "backups" at "https://s3.example.com/" is this cluster's managed storage (BSL "default"); one storage location per cluster, so use another bucket`},
		},
		"another BSL nested in the managed prefix": {
			obj: fixtures.BSL("nested", "backups", "https://s3.example.com", "kkp/p1/c1/sub"), user: alice,
			cfg:     func(c *Config) { c.AllowOtherStorage = true },
			wantErr: []string{"one storage location per cluster"},
		},
		"other storage denied by default": {
			obj: fixtures.BSL("mine", "mybucket", "https://other.example.com", "x"), user: alice,
			wantErr: []string{"other storage is not allowed by the webhook configuration"},
		},
		"other storage allowed by configuration": {
			obj: withOwnKeys(fixtures.BSL("mine", "mybucket", "https://other.example.com", "x")), user: alice,
			cfg: func(c *Config) { c.AllowOtherStorage = true },
		},
		"other storage allowed, but not with the managed credential": {
			obj: fixtures.BSL("mine", "mybucket", "https://other.example.com", "x"), user: alice,
			cfg:     func(c *Config) { c.AllowOtherStorage = true },
			wantErr: []string{"spec.credential: Forbidden", "may use the managed credential"},
		},
		"the managed endpoint with a leading-zero port is the managed storage": {
			obj: withOwnKeys(fixtures.BSL("zero", "backups", "https://s3.example.com:00443", "kkp/p1/c2")), user: alice,
			cfg:     func(c *Config) { c.AllowOtherStorage = true },
			wantErr: []string{"is this cluster's managed storage"},
		},
		"other storage still needs a clean prefix": {
			obj: fixtures.BSL("mine", "mybucket", "", "/abs"), user: alice,
			cfg:     func(c *Config) { c.AllowOtherStorage = true },
			wantErr: []string{"must not start with '/'"},
		},
		"previous location read-only on another bucket": {
			obj: func() *velerov1.BackupStorageLocation {
				b := fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1/")
				b.Spec.AccessMode = ro
				return b
			}(),
			user: applier,
		},
		"previous location read-only on the managed bucket": {
			obj: func() *velerov1.BackupStorageLocation {
				b := fixtures.BSL("legacy", "backups", "https://s3.example.com", "legacy/p1/c1")
				b.Spec.AccessMode = ro
				return b
			}(),
			user: applier,
		},
		"previous location read-write": {
			obj:     fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1"),
			user:    applier,
			wantErr: []string{"spec.accessMode: Forbidden: bucket old at https://old.example.com prefix kkp/p1/c1 is a previous location of this cluster; it is admitted only with accessMode ReadOnly"},
		},
		"previous location as default": {
			obj: func() *velerov1.BackupStorageLocation {
				b := fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1", fixtures.Default)
				b.Spec.AccessMode = ro
				return b
			}(),
			user: applier, wantErr: []string{"spec.default: Forbidden"},
		},
		"wrong prefix on the previous bucket is other storage": {
			obj: func() *velerov1.BackupStorageLocation {
				b := fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c2")
				b.Spec.AccessMode = ro
				return b
			}(),
			user: applier, wantErr: []string{"not allowed by the webhook configuration"},
		},
		"missing objectStorage": {
			obj: func() *velerov1.BackupStorageLocation {
				b := fixtures.BSL("x", "b", "", "")
				b.Spec.ObjectStorage = nil
				return b
			}(),
			user: alice, wantErr: []string{"spec.objectStorage: Required"},
		},
		"other namespaces are not managed": {
			obj: func() *velerov1.BackupStorageLocation {
				b := fixtures.BSL("x", "backups", "https://s3.example.com", "", fixtures.Default)
				b.Namespace = "elsewhere"
				return b
			}(),
			user: alice,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			errs, warns := ValidateBSL(ctx, cfg, world(), User{Name: tc.user, Groups: tc.groups}, tc.obj, tc.old)
			check(t, errs, warns, tc.wantErr, tc.wantWarn)
		})
	}
}

func TestDefaultBSL(t *testing.T) {
	cfg := testConfig()
	b := fixtures.BSL("default", "", "", "")
	b.Spec.ObjectStorage = nil
	b.Spec.Config = nil
	DefaultBSL(cfg, b)
	if !b.Spec.Default || b.Spec.ObjectStorage.Bucket != "backups" || b.Spec.ObjectStorage.Prefix != "kkp/p1/c1" || b.Spec.Config["s3Url"] != "https://s3.example.com" {
		t.Fatalf("managed BSL not filled: %+v %+v", b.Spec, b.Spec.ObjectStorage)
	}
	errs, _ := ValidateBSL(ctx, cfg, world(), User{Name: applier}, b, nil)
	check(t, errs, nil, nil, "")

	b = fixtures.BSL("default", "other", "https://x", "kkp/p1/c1/")
	DefaultBSL(cfg, b)
	if b.Spec.ObjectStorage.Prefix != "kkp/p1/c1" || b.Spec.ObjectStorage.Bucket != "other" || b.Spec.Config["s3Url"] != "https://x" {
		t.Fatalf("set fields must be normalized, not replaced: %+v", b.Spec.ObjectStorage)
	}

	other := fixtures.BSL("mine", "", "", "")
	DefaultBSL(cfg, other)
	if other.Spec.Default || other.Spec.ObjectStorage.Bucket != "" {
		t.Fatalf("non-managed BSL changed: %+v", other.Spec)
	}
}

func TestConfigComplete(t *testing.T) {
	c := &Config{Managed: Location{Bucket: "b", Prefix: "p/c/"}}
	if err := c.Complete(); err != nil {
		t.Fatal(err)
	}
	if c.Namespace != "velero" || c.ManagedBSLName != "default" || c.VeleroUser != DefaultVeleroUser || c.BackupTTL.Duration != DefaultBackupTTL || !*c.DefaultVolumesToFsBackup || c.Managed.Prefix != "p/c" {
		t.Fatalf("defaults: %+v", c)
	}
	for name, bad := range map[string]Config{
		"no bucket":    {},
		"bad prefix":   {Managed: Location{Bucket: "b", Prefix: "a/../b"}},
		"bad previous": {Managed: Location{Bucket: "b"}, PreviousLocations: []Location{{Prefix: "x"}}},
		"negative ttl": {Managed: Location{Bucket: "b"}, BackupTTL: metav1.Duration{Duration: -1}},
	} {
		if err := bad.Complete(); err == nil {
			t.Errorf("%s: Complete() = nil, want an error", name)
		}
	}
}
