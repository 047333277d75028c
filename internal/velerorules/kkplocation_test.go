package velerorules

import (
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// TestKKPLocationMapping: a Backup or Schedule shaped as KKP's dashboard
// writes it (storageLocation default-cluster-backup-bsl) is written to the
// managed BSL when that has another name, with a warning and the
// annotation; with the managed BSL under KKP's name, and for Backups Velero
// syncs from storage, nothing changes.
func TestKKPLocationMapping(t *testing.T) {
	kkpROBSL := fixtures.BSL(kkpv1.KKPBSLName, "backups", "https://s3.example.com", "legacy/p1/c1")
	kkpROBSL.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
	tests := map[string]struct {
		managed  string
		phase    velerov1.BackupPhase
		loc      string
		wantLoc  string
		wantWarn bool
	}{
		"KKP's name mapped to the managed BSL": {managed: "default", loc: kkpv1.KKPBSLName, wantLoc: "default", wantWarn: true},
		"managed BSL under KKP's name":         {managed: kkpv1.KKPBSLName, loc: kkpv1.KKPBSLName, wantLoc: kkpv1.KKPBSLName},
		"another location left alone":          {managed: "default", loc: "old", wantLoc: "old"},
		"a Backup Velero synced is untouched":  {managed: "default", phase: velerov1.BackupPhaseCompleted, loc: kkpv1.KKPBSLName, wantLoc: kkpv1.KKPBSLName},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ManagedBSLName = tc.managed
			w := world()
			w.Locations = append(w.Locations, *kkpROBSL.DeepCopy())
			b := backupObj("b", velerov1.BackupSpec{StorageLocation: tc.loc})
			b.Status.Phase = tc.phase
			warns, err := DefaultBackup(ctx, cfg, w, b)
			if err != nil {
				t.Fatal(err)
			}
			s := scheduleObj("@daily", velerov1.BackupSpec{StorageLocation: tc.loc})
			swarns, err := DefaultSchedule(ctx, cfg, w, s)
			if err != nil {
				t.Fatal(err)
			}
			if b.Spec.StorageLocation != tc.wantLoc {
				t.Fatalf("Backup storageLocation %q, want %q", b.Spec.StorageLocation, tc.wantLoc)
			}
			if tc.phase == "" && s.Spec.Template.StorageLocation != tc.wantLoc {
				t.Fatalf("Schedule template storageLocation %q, want %q", s.Spec.Template.StorageLocation, tc.wantLoc)
			}
			for kind, got := range map[string][]string{"Backup": warns, "Schedule": swarns} {
				if kind == "Schedule" && tc.phase != "" {
					continue
				}
				mapped := strings.Contains(strings.Join(got, "\n"), "(KKP's name) is written to this cluster's managed BSL")
				if mapped != tc.wantWarn {
					t.Fatalf("%s warnings %q, want the mapping warning: %v", kind, got, tc.wantWarn)
				}
				for _, w := range got {
					if len(w) > 120 {
						t.Fatalf("warning longer than 120 characters: %q", w)
					}
				}
			}
			if got := b.Annotations[MappedFromAnnotation]; (got == kkpv1.KKPBSLName) != tc.wantWarn {
				t.Fatalf("Backup annotation %s=%q, want it set: %v", MappedFromAnnotation, got, tc.wantWarn)
			}
			// The mapped Backup passes validation although KKP's BSL is
			// read-only; unmapped it would be refused.
			if tc.wantWarn {
				if errs, _ := ValidateBackup(ctx, cfg, w, User{Name: alice}, b, nil); len(errs) > 0 {
					t.Fatalf("mapped Backup denied: %v", errs)
				}
			}
		})
	}
}

// TestKKPNamedBSL: under KKP's name, only the managed BSL or a ReadOnly
// previous location is admitted.
func TestKKPNamedBSL(t *testing.T) {
	cfg := testConfig()
	prev := fixtures.BSL(kkpv1.KKPBSLName, "backups", "https://s3.example.com", "legacy/p1/c1")
	errs, _ := ValidateBSL(ctx, cfg, world(), User{Name: alice}, prev, nil)
	if len(errs) != 2 || !strings.Contains(errs.ToAggregate().Error(), `BSL "default-cluster-backup-bsl" is KKP's name: Backups naming it are written to the managed BSL "default"`) {
		t.Fatalf("writable BSL under KKP's name: %v", errs)
	}
	prev.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
	if errs, _ := ValidateBSL(ctx, cfg, world(), User{Name: alice}, prev, nil); len(errs) > 0 {
		t.Fatalf("read-only previous location under KKP's name denied: %v", errs)
	}
	cfg.ManagedBSLName = kkpv1.KKPBSLName
	managed := fixtures.BSL(kkpv1.KKPBSLName, "backups", "https://s3.example.com", "kkp/p1/c1", fixtures.Default)
	if errs, _ := ValidateBSL(ctx, cfg, world(), User{Name: applier}, managed, nil); len(errs) > 0 {
		t.Fatalf("managed BSL under KKP's name denied: %v", errs)
	}
}
