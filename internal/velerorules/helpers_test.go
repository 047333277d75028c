package velerorules

import (
	"context"
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

var ctx = context.Background()

const (
	applier = "system:serviceaccount:argocd:argocd-application-controller"
	velero  = "system:serviceaccount:velero:velero"
	alice   = "alice"
)

func testConfig() *Config {
	c := &Config{
		Managed:           Location{Bucket: "backups", Endpoint: "https://s3.example.com", Prefix: "kkp/p1/c1"},
		ManagedBSLEditors: []string{applier},
		PreviousLocations: []Location{{Bucket: "old", Endpoint: "https://old.example.com", Prefix: "kkp/p1/c1"}, {Bucket: "backups", Endpoint: "https://s3.example.com", Prefix: "legacy/p1/c1"}},
	}
	if err := c.Complete(); err != nil {
		panic(err)
	}
	return c
}

func managedBSL() *velerov1.BackupStorageLocation {
	return fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1", fixtures.Default)
}

func world() *Objects {
	ro := fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1")
	ro.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
	done := backupObj("done", velerov1.BackupSpec{IncludedNamespaces: []string{"app", "db"}})
	done.Status.Phase = velerov1.BackupPhaseCompleted
	failed := backupObj("failed", velerov1.BackupSpec{})
	failed.Status.Phase = velerov1.BackupPhaseFailed
	s1 := backupObj("daily-1", velerov1.BackupSpec{})
	s1.Labels = map[string]string{velerov1.ScheduleNameLabel: "daily"}
	s1.Status.Phase = velerov1.BackupPhaseCompleted
	s2 := backupObj("broken-1", velerov1.BackupSpec{})
	s2.Labels = map[string]string{velerov1.ScheduleNameLabel: "broken"}
	s2.Status.Phase = velerov1.BackupPhaseFailed
	return &Objects{
		Locations:  []velerov1.BackupStorageLocation{*managedBSL(), *ro},
		Backups:    []velerov1.Backup{*done, *failed, *s1, *s2},
		Namespaces: []string{"velero", "app", "db", "default"},
	}
}

func backupObj(name string, spec velerov1.BackupSpec) *velerov1.Backup {
	return &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "velero"}, Spec: spec}
}

// check compares the outcome with the expectation: wantErr lists substrings
// that must each occur in the aggregated error (nil: no error); wantWarn a
// substring of the joined warnings ("" : no warnings).
func check(t *testing.T, errs field.ErrorList, warns admission.Warnings, wantErr []string, wantWarn string) {
	t.Helper()
	if len(wantErr) == 0 && len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs.ToAggregate())
	}
	if len(wantErr) > 0 {
		if len(errs) == 0 {
			t.Fatalf("no error, want %q", wantErr)
		}
		got := errs.ToAggregate().Error()
		for _, w := range wantErr {
			if !strings.Contains(got, w) {
				t.Fatalf("error %q does not contain %q", got, w)
			}
		}
	}
	joined := strings.Join(warns, "\n")
	if wantWarn == "" && len(warns) > 0 {
		t.Fatalf("unexpected warnings: %q", warns)
	}
	if wantWarn != "" && !strings.Contains(joined, wantWarn) {
		t.Fatalf("warnings %q do not contain %q", warns, wantWarn)
	}
	for _, w := range warns {
		if len(w) > MaxWarningLength {
			t.Fatalf("warning longer than %d: %q", MaxWarningLength, w)
		}
	}
}
