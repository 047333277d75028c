package velerorules

import (
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// TestSecondDefaultNamesExistingBSLs: a denied second default names the
// BSL that really is the default, never one that does not exist.
func TestSecondDefaultNamesExistingBSLs(t *testing.T) {
	onManaged := func(name string) *velerov1.BackupStorageLocation {
		return fixtures.BSL(name, "backups", "https://s3.example.com", "kkp/p1/c1", fixtures.Default)
	}
	tests := map[string]struct {
		world   []velerov1.BackupStorageLocation
		obj     *velerov1.BackupStorageLocation
		want    []string
		notWant []string
	}{
		"the managed BSL is the default": {
			world: []velerov1.BackupStorageLocation{*managedBSL()},
			obj:   fixtures.BSL("mine", "mybucket", "https://other.example.com", "x", fixtures.Default),
			want:  []string{`BSL "default" is already the default; only the managed BSL "default" may be`},
		},
		"another BSL is the default": {
			world: []velerov1.BackupStorageLocation{*fixtures.BSL("legacy", "l", "", "x", fixtures.Default)},
			obj:   fixtures.BSL("mine", "mybucket", "https://other.example.com", "x", fixtures.Default),
			want:  []string{`BSL "legacy" is already the default`},
		},
		"no default, the managed BSL exists but is not default": {
			world:   []velerov1.BackupStorageLocation{*fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1")},
			obj:     fixtures.BSL("mine", "mybucket", "https://other.example.com", "x", fixtures.Default),
			want:    []string{`spec.default: Forbidden: only the managed BSL "default" may be the default in this cluster`},
			notWant: []string{"already the default", "--managed-bsl-name"},
		},
		"the managed BSL under another name (webhook started without --managed-bsl-name)": {
			world:   []velerov1.BackupStorageLocation{*onManaged("kkp-managed")},
			obj:     onManaged("kkp-managed"),
			want:    []string{`only the managed BSL "default" may be the default in this cluster, and no BSL "default" exists`, "--managed-bsl-name=kkp-managed"},
			notWant: []string{"already the default"},
		},
		"no managed BSL, other storage": {
			obj:     fixtures.BSL("mine", "mybucket", "https://other.example.com", "x", fixtures.Default),
			want:    []string{`only the managed BSL "default" may be the default`},
			notWant: []string{"already the default", "--managed-bsl-name"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			cfg.AllowOtherStorage = true
			errs, _ := ValidateBSL(ctx, cfg, &Objects{Locations: tc.world}, User{Name: applier}, tc.obj, nil)
			check(t, errs, nil, tc.want, "")
			got := errs.ToAggregate().Error()
			for _, n := range tc.notWant {
				if strings.Contains(got, n) {
					t.Errorf("error %q contains %q", got, n)
				}
			}
		})
	}
}

func TestDefaultLocationFallsBackToTheManagedName(t *testing.T) {
	name, err := DefaultLocation(ctx, testConfig(), &Objects{})
	if err != nil || name != "default" {
		t.Fatalf("DefaultLocation with no BSLs = %q, %v; want the managed name", name, err)
	}
}

func TestMisnamedManagedBSL(t *testing.T) {
	onManaged := fixtures.BSL("kkp-managed", "backups", "https://S3.example.com/", "kkp/p1/c1/", fixtures.Default)
	elsewhere := *onManaged
	elsewhere.Namespace = "other"
	tests := map[string]struct {
		bsls []velerov1.BackupStorageLocation
		want string
	}{
		"nothing yet":                                {},
		"the managed BSL by its name":                {bsls: []velerov1.BackupStorageLocation{*managedBSL()}},
		"managed name present beside":                {bsls: []velerov1.BackupStorageLocation{*onManaged, *fixtures.BSL("default", "x", "", "y")}},
		"the managed location, other name":           {bsls: []velerov1.BackupStorageLocation{*fixtures.BSL("old", "old", "", "p"), *onManaged}, want: "kkp-managed"},
		"another namespace is not ours":              {bsls: []velerov1.BackupStorageLocation{elsewhere}},
		"another prefix is not the managed location": {bsls: []velerov1.BackupStorageLocation{*fixtures.BSL("x", "backups", "https://s3.example.com", "kkp/p1/c2", fixtures.Default)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := MisnamedManagedBSL(testConfig(), tc.bsls); got != tc.want {
				t.Fatalf("MisnamedManagedBSL = %q, want %q", got, tc.want)
			}
		})
	}
}
