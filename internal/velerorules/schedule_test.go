package velerorules

import (
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func scheduleObj(cron string, tpl velerov1.BackupSpec) *velerov1.Schedule {
	return &velerov1.Schedule{ObjectMeta: metav1.ObjectMeta{Name: "daily", Namespace: "velero"}, Spec: velerov1.ScheduleSpec{Schedule: cron, Template: tpl}}
}

func TestValidateCron(t *testing.T) {
	for expr, ok := range map[string]bool{
		"0 1 * * *":                       true,
		"*/15 * * * *":                    true,
		"@daily":                          true,
		"@every 6h":                       true,
		"@every 90m":                      true,
		"CRON_TZ=Europe/Berlin 0 3 * * *": true,
		"0 0 1 * * *":                     false, // 6 fields: Velero's parser has no seconds
		"0 25 * * *":                      false,
		"@fortnightly":                    false,
		"@every -1h":                      false,
		"@every":                          false,
		"":                                false,
		"CRON_TZ=Nowhere/Land 0 3 * * *":  false,
		"TZ=":                             false,
	} {
		errs := ValidateCron(expr, field.NewPath("spec", "schedule"))
		if (len(errs) == 0) != ok {
			t.Errorf("ValidateCron(%q) = %v, want ok=%v", expr, errs, ok)
		}
	}
}

func TestValidateSchedule(t *testing.T) {
	tests := map[string]struct {
		obj, old *velerov1.Schedule
		wantErr  []string
		wantWarn string
	}{
		"valid":      {obj: scheduleObj("@every 6h", velerov1.BackupSpec{StorageLocation: "default"})},
		"empty cron": {obj: scheduleObj("", velerov1.BackupSpec{}), wantErr: []string{"spec.schedule: Required value"}},
		"six fields": {obj: scheduleObj("0 0 1 * * *", velerov1.BackupSpec{}), wantErr: []string{`spec.schedule: Invalid value: "0 0 1 * * *": not a valid cron expression`}},
		"template validated like a backup": {
			obj:     scheduleObj("@daily", velerov1.BackupSpec{StorageLocation: "old", TTL: metav1.Duration{Duration: -time.Second}}),
			wantErr: []string{`spec.template.storageLocation: Forbidden: BSL "old" is ReadOnly`, "spec.template.ttl: Invalid value"},
		},
		"template namespaces warn": {
			obj: scheduleObj("@daily", velerov1.BackupSpec{IncludedNamespaces: []string{"ghost"}}), wantWarn: `namespace "ghost" does not exist`,
		},
		"status write passes even when the cron went stale": {
			obj: func() *velerov1.Schedule {
				s := scheduleObj("bad", velerov1.BackupSpec{})
				s.Status.Phase = velerov1.SchedulePhaseFailedValidation
				return s
			}(),
			old: scheduleObj("bad", velerov1.BackupSpec{}),
		},
		"spec update is validated": {
			obj: scheduleObj("bad", velerov1.BackupSpec{}), old: scheduleObj("@daily", velerov1.BackupSpec{}), wantErr: []string{"spec.schedule"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs, warns := ValidateSchedule(ctx, testConfig(), world(), User{Name: alice}, tc.obj, tc.old)
			check(t, errs, warns, tc.wantErr, tc.wantWarn)
		})
	}
}

func TestDefaultSchedule(t *testing.T) {
	s := scheduleObj("@daily", velerov1.BackupSpec{TTL: metav1.Duration{}})
	if _, err := DefaultSchedule(ctx, testConfig(), world(), s); err != nil {
		t.Fatal(err)
	}
	tpl := s.Spec.Template
	if tpl.TTL.Duration != 720*time.Hour || tpl.StorageLocation != "default" || tpl.DefaultVolumesToFsBackup == nil || !*tpl.DefaultVolumesToFsBackup {
		t.Fatalf("template not defaulted: %+v", tpl)
	}
}
