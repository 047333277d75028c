package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// TestThroughKubeAPIServer drives every user-cluster rule through the real
// kube-apiserver the way kubectl, the GitOps applier and Velero do.
func TestThroughKubeAPIServer(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	gitops, vel, user := e.clients[applier], e.clients[veleroSA], e.clients[alice]

	t.Run("managed BSL is filled by mutation", func(t *testing.T) {
		b := fixtures.BSL("default", "backups", "", "")
		b.Spec.Config = nil
		testenv.Must(t, gitops.Create(ctx, b))
		var got velerov1.BackupStorageLocation
		testenv.Must(t, e.admin.Get(ctx, key("default"), &got))
		if !got.Spec.Default || got.Spec.ObjectStorage.Prefix != "kkp/p1/c1" || got.Spec.Config["s3Url"] != "https://s3.example.com" {
			t.Fatalf("managed BSL not filled: default=%v prefix=%q config=%v", got.Spec.Default, got.Spec.ObjectStorage.Prefix, got.Spec.Config)
		}
	})

	t.Run("managed BSL spec only by the applier", func(t *testing.T) {
		var b velerov1.BackupStorageLocation
		testenv.Must(t, user.Get(ctx, key("default"), &b))
		b.Spec.ObjectStorage.Prefix = "kkp/p1/c10"
		denied(t, "alice moves the managed prefix", user.Update(ctx, &b), `user "alice" may not change the spec of the managed BSL "default"`, "exactly the cluster's prefix")
		testenv.Must(t, gitops.Get(ctx, key("default"), &b))
		b.Spec.ObjectStorage.Prefix = "kkp/p1"
		denied(t, "applier moves the managed prefix to the parent", gitops.Update(ctx, &b), `spec.objectStorage.prefix: Invalid value: "kkp/p1"`)
		testenv.Must(t, gitops.Get(ctx, key("default"), &b))
		b.Spec.Default = false
		b.Spec.ObjectStorage.Bucket = "elsewhere"
		denied(t, "applier changes the managed bucket", gitops.Update(ctx, &b), `must use the cluster's bucket "backups"`)
		testenv.Must(t, gitops.Get(ctx, key("default"), &b))
		b.Spec.Config["region"] = "us-east-1"
		testenv.Must(t, gitops.Update(ctx, &b))
		// Metadata and status writes by anyone pass.
		testenv.Must(t, user.Get(ctx, key("default"), &b))
		b.Labels = map[string]string{"team": "a"}
		testenv.Must(t, user.Update(ctx, &b))
		b.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
		b.Status.LastValidationTime = &metav1.Time{Time: time.Now()}
		testenv.Must(t, vel.Update(ctx, &b))
	})

	t.Run("other BSLs", func(t *testing.T) {
		denied(t, "second default", user.Create(ctx, fixtures.BSL("mine", "mine", "https://other.example.com", "x", fixtures.Default)),
			`BSL "default" is already the default`)
		denied(t, "another BSL on the managed storage", user.Create(ctx, fixtures.BSL("sneaky", "backups", "https://s3.example.com", "kkp/p1/c1/nested")),
			"one storage location per cluster, so use another bucket")
		denied(t, "other storage", user.Create(ctx, fixtures.BSL("mine", "mine", "https://other.example.com", "x")),
			"other storage is not allowed")
		denied(t, "previous location read-write", gitops.Create(ctx, fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1")),
			"admitted only with accessMode ReadOnly")
		old := fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1")
		old.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
		testenv.Must(t, gitops.Create(ctx, old))
	})

	t.Run("backup from the velero CLI is defaulted and warned", func(t *testing.T) {
		b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "b1", Namespace: "velero"}, Spec: velerov1.BackupSpec{
			IncludedNamespaces: []string{"app", "ghost"}, TTL: metav1.Duration{}, CSISnapshotTimeout: metav1.Duration{}, ItemOperationTimeout: metav1.Duration{},
		}}
		e.warnings[alice].Take()
		eventually(t, "create b1", func() error { return user.Create(ctx, b) })
		if w := e.warnings[alice].Take(); !strings.Contains(w, `namespace "ghost" does not exist`) {
			t.Fatalf("warnings = %q, want one about namespace ghost", w)
		}
		var got velerov1.Backup
		testenv.Must(t, e.admin.Get(ctx, key("b1"), &got))
		if got.Spec.TTL.Duration != 720*time.Hour || got.Spec.StorageLocation != "default" || got.Spec.DefaultVolumesToFsBackup == nil || !*got.Spec.DefaultVolumesToFsBackup {
			t.Fatalf("not defaulted: ttl=%v loc=%q fsb=%v", got.Spec.TTL, got.Spec.StorageLocation, got.Spec.DefaultVolumesToFsBackup)
		}
	})

	t.Run("velero's status sequence passes end to end", func(t *testing.T) {
		var b velerov1.Backup
		testenv.Must(t, vel.Get(ctx, key("b1"), &b))
		// Velero 1.18: New, then the queue controller's Queued and
		// ReadyToStart, then the backup controller's defaulting pass in
		// the same update that sets InProgress, then Completed.
		for _, phase := range []velerov1.BackupPhase{velerov1.BackupPhaseNew, velerov1.BackupPhaseQueued, velerov1.BackupPhaseReadyToStart} {
			b.Status.Phase = phase
			testenv.Must(t, vel.Update(ctx, &b))
		}
		b.Spec.ItemOperationTimeout = metav1.Duration{Duration: 4 * time.Hour}
		b.Spec.CSISnapshotTimeout = metav1.Duration{Duration: 10 * time.Minute}
		b.Spec.SnapshotMoveData = ptr.To(false)
		b.Labels = map[string]string{velerov1.StorageLocationLabel: "default"}
		b.Status.Phase = velerov1.BackupPhaseInProgress
		b.Status.StartTimestamp = &metav1.Time{Time: time.Now()}
		b.Status.Version = 1
		testenv.Must(t, vel.Update(ctx, &b))
		b.Status.Phase = velerov1.BackupPhaseCompleted
		b.Status.CompletionTimestamp = &metav1.Time{Time: time.Now()}
		b.Status.Progress = &velerov1.BackupProgress{TotalItems: 10, ItemsBackedUp: 10}
		testenv.Must(t, vel.Update(ctx, &b))
	})

	t.Run("velero's defaulting as one merge patch", func(t *testing.T) {
		b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "b2", Namespace: "velero"}, Spec: velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}}
		testenv.Must(t, user.Create(ctx, b))
		testenv.Must(t, vel.Get(ctx, key("b2"), b))
		orig := b.DeepCopy()
		b.Spec.ItemOperationTimeout = metav1.Duration{Duration: 4 * time.Hour}
		b.Spec.VolumeSnapshotLocations = []string{"default"}
		b.Status.Phase = velerov1.BackupPhaseInProgress
		testenv.Must(t, vel.Patch(ctx, b, client.MergeFrom(orig)))
	})

	t.Run("backup spec is immutable", func(t *testing.T) {
		var b velerov1.Backup
		testenv.Must(t, user.Get(ctx, key("b1"), &b))
		b.Spec.TTL = metav1.Duration{Duration: time.Hour}
		denied(t, "alice edits ttl", user.Update(ctx, &b), `spec.ttl: Forbidden: Backup "b1"`, "create a new Backup or use a Schedule")
		testenv.Must(t, vel.Get(ctx, key("b1"), &b))
		b.Spec.IncludedNamespaces = []string{"db"}
		denied(t, "velero edits a set field", vel.Update(ctx, &b), "spec.includedNamespaces: Forbidden")
		testenv.Must(t, user.Get(ctx, key("b1"), &b))
		b.Labels["note"] = "keep"
		testenv.Must(t, user.Update(ctx, &b))
		// A user filling an empty field of a New backup is not Velero.
		nb := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "b3", Namespace: "velero"}}
		testenv.Must(t, user.Create(ctx, nb))
		nb.Spec.ExcludedNamespaces = []string{"db"}
		denied(t, "alice fills a field of a New backup", user.Update(ctx, nb), "spec.excludedNamespaces: Forbidden")
	})

	t.Run("backup spec rules", func(t *testing.T) {
		sel := &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
		denied(t, "both selectors", user.Create(ctx, &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "sel", Namespace: "velero"},
			Spec: velerov1.BackupSpec{LabelSelector: sel, OrLabelSelectors: []*metav1.LabelSelector{sel}}}), "mutually exclusive")
		denied(t, "missing location", user.Create(ctx, &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "loc", Namespace: "velero"},
			Spec: velerov1.BackupSpec{StorageLocation: "nowhere"}}), `spec.storageLocation: Not found: "nowhere"`)
		eventually(t, "read-only location", func() error {
			err := user.Create(ctx, &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "velero"}, Spec: velerov1.BackupSpec{StorageLocation: "old"}})
			if err == nil || !strings.Contains(err.Error(), `BSL "old" is ReadOnly`) {
				return fmt.Errorf("want a ReadOnly denial, got %v", err)
			}
			return nil
		})
	})

	t.Run("schedules", func(t *testing.T) {
		s := &velerov1.Schedule{ObjectMeta: metav1.ObjectMeta{Name: "daily", Namespace: "velero"}, Spec: velerov1.ScheduleSpec{Schedule: "0 0 1 * * *"}}
		denied(t, "six-field cron", user.Create(ctx, s), `spec.schedule: Invalid value: "0 0 1 * * *"`)
		s.Spec.Schedule = "@every 6h"
		s.Spec.Template.StorageLocation = "old"
		denied(t, "template on a read-only BSL", user.Create(ctx, s), "spec.template.storageLocation: Forbidden")
		s.Spec.Template.StorageLocation = ""
		testenv.Must(t, user.Create(ctx, s))
		var got velerov1.Schedule
		testenv.Must(t, e.admin.Get(ctx, key("daily"), &got))
		if got.Spec.Template.TTL.Duration != 720*time.Hour || got.Spec.Template.StorageLocation != "default" {
			t.Fatalf("template not defaulted: %+v", got.Spec.Template)
		}
		got.Spec.Schedule = "61 * * * *"
		denied(t, "edit to a bad cron", user.Update(ctx, &got), "spec.schedule")
	})

	t.Run("restores", func(t *testing.T) {
		r := func(name string, spec velerov1.RestoreSpec) *velerov1.Restore {
			return &velerov1.Restore{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "velero"}, Spec: spec}
		}
		denied(t, "neither name", user.Create(ctx, r("r0", velerov1.RestoreSpec{})), "set exactly one of backupName or scheduleName")
		denied(t, "both names", user.Create(ctx, r("r0", velerov1.RestoreSpec{BackupName: "b1", ScheduleName: "daily"})), "not both")
		denied(t, "missing backup", user.Create(ctx, r("r0", velerov1.RestoreSpec{BackupName: "ghost"})), `spec.backupName: Not found: "ghost"`)
		denied(t, "schedule without backups", user.Create(ctx, r("r0", velerov1.RestoreSpec{ScheduleName: "daily"})), "no Completed or PartiallyFailed Backup")
		e.warnings[alice].Take()
		eventually(t, "restore b1", func() error {
			return user.Create(ctx, r("r1", velerov1.RestoreSpec{BackupName: "b1", IncludedNamespaces: []string{"db"}}))
		})
		if w := e.warnings[alice].Take(); !strings.Contains(w, `namespace "db" is not in Backup "b1"`) {
			t.Fatalf("warnings = %q", w)
		}
		testenv.Must(t, user.Create(ctx, r("r2", velerov1.RestoreSpec{BackupName: "b3"})))
		if w := e.warnings[alice].Take(); !strings.Contains(w, `Backup "b3" is New, not Completed`) || !strings.Contains(w, "cluster-scoped RBAC") {
			t.Fatalf("warnings = %q", w)
		}
		// No namespace mapped into a system namespace or Velero's, also not
		// by an UPDATE before Velero starts the Restore; the GitOps applier
		// (a managed editor) may, and Velero's writes to its Restore pass.
		into := func(name, dst string) *velerov1.Restore {
			return r(name, velerov1.RestoreSpec{BackupName: "b1", IncludedNamespaces: []string{"app"}, NamespaceMapping: map[string]string{"app": dst}})
		}
		denied(t, "mapping into kube-system", user.Create(ctx, into("r3", "kube-system")), `spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "kube-system"`)
		testenv.Must(t, user.Create(ctx, into("r3", "app-copy")))
		var r3 velerov1.Restore
		testenv.Must(t, user.Get(ctx, key("r3"), &r3))
		r3.Spec.NamespaceMapping["app"] = "velero"
		denied(t, "an update mapping into velero", user.Update(ctx, &r3), `spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "velero"`)
		testenv.Must(t, gitops.Create(ctx, into("r4", "kube-system")))
		var r4 velerov1.Restore
		testenv.Must(t, vel.Get(ctx, key("r4"), &r4))
		r4.Status.Phase = velerov1.RestorePhaseInProgress
		testenv.Must(t, vel.Update(ctx, &r4))
		// Velero fills scheduleName next to backupName and writes status.
		var got velerov1.Restore
		testenv.Must(t, vel.Get(ctx, key("r1"), &got))
		got.Spec.ScheduleName = "daily"
		got.Status.Phase = velerov1.RestorePhaseCompleted
		testenv.Must(t, vel.Update(ctx, &got))
	})

	t.Run("dry-run is checked like a real request", func(t *testing.T) {
		bad := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "dry", Namespace: "velero"}, Spec: velerov1.BackupSpec{StorageLocation: "nowhere"}}
		denied(t, "dry-run of a bad backup", user.Create(ctx, bad, client.DryRunAll), `Not found: "nowhere"`)
		bad.Spec.StorageLocation = ""
		testenv.Must(t, user.Create(ctx, bad, client.DryRunAll))
		if err := e.admin.Get(ctx, key("dry"), &velerov1.Backup{}); !apierrors.IsNotFound(err) {
			t.Fatalf("dry-run stored the backup: %v", err)
		}
	})

	t.Run("other namespaces are not ours", func(t *testing.T) {
		b := fixtures.BSL("anything", "backups", "https://s3.example.com", "", fixtures.Default)
		b.Namespace = "app"
		testenv.Must(t, user.Create(ctx, b))
	})

	t.Run("lookups follow the cluster: a deleted BSL, a new namespace", func(t *testing.T) {
		testenv.Must(t, e.admin.Delete(ctx, &velerov1.BackupStorageLocation{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "velero"}}))
		eventually(t, "deleted location", func() error {
			err := user.Create(ctx, &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "gone", Namespace: "velero"}, Spec: velerov1.BackupSpec{StorageLocation: "old"}}, client.DryRunAll)
			if err == nil || !strings.Contains(err.Error(), `spec.storageLocation: Not found: "old"`) {
				return fmt.Errorf("want a NotFound denial, got %v", err)
			}
			return nil
		})
		testenv.Must(t, e.admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "late"}}))
		eventually(t, "new namespace", func() error {
			e.warnings[alice].Take()
			b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "late", Namespace: "velero"}, Spec: velerov1.BackupSpec{IncludedNamespaces: []string{"late"}}}
			if err := user.Create(ctx, b, client.DryRunAll); err != nil {
				return err
			}
			if w := e.warnings[alice].Take(); w != "" {
				return fmt.Errorf("warnings = %q, want none once namespace late exists", w)
			}
			return nil
		})
	})

	t.Run("HTTP/1.1 only unless enabled", func(t *testing.T) {
		conn, err := tls.Dial("tcp", e.webhookAddr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}}) //nolint:gosec // only the ALPN answer is checked
		testenv.Must(t, err)
		defer conn.Close()
		if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
			t.Fatalf("negotiated %q, want http/1.1 (HTTP/2 is off by default)", p)
		}
	})

	t.Run("metrics count reviews per rule and outcome", func(t *testing.T) {
		resp, err := http.Get(e.metricsURL)
		testenv.Must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`controller_runtime_webhook_latency_seconds_bucket{webhook="/validate-velero-io-v1-backup"`,
			// A Backup CREATE is defaulted and validated in one call.
			`clusterbackup_webhook_reviews_total{operation="CREATE",outcome="denied",webhook="mutate-backup"}`,
			`clusterbackup_webhook_reviews_total{operation="UPDATE",outcome="denied",webhook="validate-backup"}`,
			`clusterbackup_webhook_reviews_total{operation="CREATE",outcome="patched",webhook="mutate-backup"}`,
			`clusterbackup_webhook_rule_violations_total{field="spec.storageLocation",type="FieldValueNotFound",webhook="mutate-backup"}`,
			`clusterbackup_webhook_warnings_total{webhook="validate-restore"}`,
			// So is a BSL's: its rules deny in the mutating call.
			`clusterbackup_webhook_reviews_total{operation="CREATE",outcome="denied",webhook="mutate-bsl"}`,
			`clusterbackup_webhook_rule_violations_total{field="spec.default",type="FieldValueForbidden",webhook="mutate-bsl"}`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		// ... and the API server never calls the BSL validating path.
		if strings.Contains(string(body), `controller_runtime_webhook_latency_seconds_count{webhook="/validate-velero-io-v1-backupstoragelocation"}`) {
			t.Errorf("the BSL validating path was called: a BSL create should cost one webhook call")
		}
	})

	t.Run("requester gate", func(t *testing.T) { testRequesterGate(t, e) })
}
