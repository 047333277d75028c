package velerorules_test

import (
	"context"
	"fmt"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

// A completed Backup's spec cannot change; the error names the field and
// says what to do instead. Velero's own status writes pass.
func ExampleValidateBackup() {
	cfg := &velerorules.Config{Managed: velerorules.Location{Bucket: "backups", Prefix: "kkp/p1/c1"}}
	if err := cfg.Complete(); err != nil {
		panic(err)
	}
	old := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "velero"},
		Spec:   velerov1.BackupSpec{TTL: metav1.Duration{Duration: 720 * time.Hour}},
		Status: velerov1.BackupStatus{Phase: velerov1.BackupPhaseCompleted}}
	edited := old.DeepCopy()
	edited.Spec.TTL.Duration = time.Hour
	errs, _ := velerorules.ValidateBackup(context.Background(), cfg, &velerorules.Objects{}, velerorules.User{Name: "alice"}, edited, old)
	fmt.Println(errs.ToAggregate())

	status := old.DeepCopy()
	status.Status.Expiration = &metav1.Time{Time: time.Unix(0, 0)}
	errs, _ = velerorules.ValidateBackup(context.Background(), cfg, &velerorules.Objects{}, velerorules.User{Name: velerorules.DefaultVeleroUser}, status, old)
	fmt.Println(len(errs))
	// Output:
	// spec.ttl: Forbidden: Backup "nightly": the spec of a Backup is immutable after creation (Velero ignores the change); create a new Backup or use a Schedule
	// 0
}

// The velero CLI sends ttl: 0s; defaulting treats zero as unset.
func ExampleDefaultBackup() {
	cfg := &velerorules.Config{Managed: velerorules.Location{Bucket: "backups"}}
	_ = cfg.Complete()
	b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "velero"}, Spec: velerov1.BackupSpec{TTL: metav1.Duration{}}}
	lookup := &velerorules.Objects{Locations: []velerov1.BackupStorageLocation{{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "velero"}, Spec: velerov1.BackupStorageLocationSpec{Default: true}}}}
	if _, err := velerorules.DefaultBackup(context.Background(), cfg, lookup, b); err != nil {
		panic(err)
	}
	fmt.Println(b.Spec.TTL.Duration, b.Spec.StorageLocation, *b.Spec.DefaultVolumesToFsBackup)
	// Output: 720h0m0s default true
}
