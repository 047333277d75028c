package velerorules

import (
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func restoreObj(spec velerov1.RestoreSpec) *velerov1.Restore {
	return &velerov1.Restore{ObjectMeta: metav1.ObjectMeta{Name: "r1", Namespace: "velero"}, Spec: spec}
}

func TestValidateRestore(t *testing.T) {
	tests := map[string]struct {
		obj, old *velerov1.Restore
		wantErr  []string
		wantWarn string
	}{
		"from a completed backup": {obj: restoreObj(velerov1.RestoreSpec{BackupName: "done", IncludedNamespaces: []string{"app"}})},
		"neither name":            {obj: restoreObj(velerov1.RestoreSpec{}), wantErr: []string{"spec.backupName: Required value: set exactly one of backupName or scheduleName"}},
		"both names":              {obj: restoreObj(velerov1.RestoreSpec{BackupName: "done", ScheduleName: "daily"}), wantErr: []string{"spec.scheduleName: Forbidden: set exactly one"}},
		"backup missing":          {obj: restoreObj(velerov1.RestoreSpec{BackupName: "ghost"}), wantErr: []string{`spec.backupName: Not found: "ghost"`}},
		"failed backup warns":     {obj: restoreObj(velerov1.RestoreSpec{BackupName: "failed"}), wantWarn: `Backup "failed" is Failed, not Completed or PartiallyFailed`},
		"namespace not in backup": {
			obj:      restoreObj(velerov1.RestoreSpec{BackupName: "done", IncludedNamespaces: []string{"app", "web"}}),
			wantWarn: `namespace "web" is not in Backup "done"`,
		},
		"from a schedule":                         {obj: restoreObj(velerov1.RestoreSpec{ScheduleName: "daily"}), wantWarn: "cluster-scoped RBAC"},
		"schedule without usable backups":         {obj: restoreObj(velerov1.RestoreSpec{ScheduleName: "broken"}), wantErr: []string{`spec.scheduleName: Invalid value: "broken": no Completed or PartiallyFailed Backup`}},
		"velero fills both names on update":       {obj: restoreObj(velerov1.RestoreSpec{BackupName: "daily-1", ScheduleName: "daily"}), old: restoreObj(velerov1.RestoreSpec{ScheduleName: "daily"})},
		"status write for a since-deleted backup": {obj: restoreObj(velerov1.RestoreSpec{BackupName: "ghost"}), old: restoreObj(velerov1.RestoreSpec{BackupName: "ghost"})},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs, warns := ValidateRestore(ctx, testConfig(), world(), User{Name: alice}, tc.obj, tc.old)
			check(t, errs, warns, tc.wantErr, tc.wantWarn)
		})
	}
}
