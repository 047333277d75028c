package velerorules

import (
	"fmt"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

func TestValidateBackup(t *testing.T) {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
	cliSpec := velerov1.BackupSpec{TTL: metav1.Duration{}, IncludedNamespaces: []string{"app"}} // velero CLI: ttl 0s
	defaulted := velerov1.BackupSpec{
		TTL: metav1.Duration{Duration: 720 * time.Hour}, IncludedNamespaces: []string{"app"}, StorageLocation: "default",
		DefaultVolumesToFsBackup: ptr.To(true), SnapshotMoveData: ptr.To(false), ItemOperationTimeout: metav1.Duration{Duration: 4 * time.Hour},
		CSISnapshotTimeout: metav1.Duration{Duration: 10 * time.Minute},
	}
	withPhase := func(spec velerov1.BackupSpec, p velerov1.BackupPhase) *velerov1.Backup {
		b := backupObj("b1", spec)
		b.Status.Phase = p
		return b
	}
	tests := map[string]struct {
		obj, old *velerov1.Backup
		user     string
		wantErr  []string
		wantWarn string
	}{
		"plain create": {obj: backupObj("b1", defaulted), user: alice},
		"selectors exclusive": {
			obj:     backupObj("b1", velerov1.BackupSpec{LabelSelector: sel, OrLabelSelectors: []*metav1.LabelSelector{sel}}),
			user:    alice,
			wantErr: []string{"spec.orLabelSelectors: Forbidden: labelSelector and orLabelSelectors are mutually exclusive"},
		},
		"bad selector": {
			obj:     backupObj("b1", velerov1.BackupSpec{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a b": "x"}}}),
			user:    alice,
			wantErr: []string{"spec.labelSelector.matchLabels"},
		},
		"negative ttl": {
			obj: backupObj("b1", velerov1.BackupSpec{TTL: metav1.Duration{Duration: -time.Hour}}), user: alice,
			wantErr: []string{"spec.ttl: Invalid value"},
		},
		"storage location missing": {
			obj: backupObj("b1", velerov1.BackupSpec{StorageLocation: "nope"}), user: alice,
			wantErr: []string{`spec.storageLocation: Not found: "nope"`},
		},
		"storage location read-only": {
			obj: backupObj("b1", velerov1.BackupSpec{StorageLocation: "old"}), user: alice,
			wantErr: []string{`spec.storageLocation: Forbidden: BSL "old" is ReadOnly`},
		},
		"synced backup on a read-only location is fine": {
			obj: withPhase(velerov1.BackupSpec{StorageLocation: "old"}, velerov1.BackupPhaseCompleted), user: velero,
		},
		"missing namespace warns": {
			obj: backupObj("b1", velerov1.BackupSpec{IncludedNamespaces: []string{"app", "ghost", "*", "kube-*"}}), user: alice,
			wantWarn: `namespace "ghost" does not exist; create it before the backup runs`,
		},
		"many missing namespaces are summarized": {
			obj: backupObj("b1", velerov1.BackupSpec{IncludedNamespaces: []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7"}}), user: alice,
			wantWarn: "2 more included namespaces do not exist",
		},
		"velero defaulting pass while New": {
			obj: withPhase(defaulted, velerov1.BackupPhaseNew), old: withPhase(cliSpec, velerov1.BackupPhaseNew), user: velero,
		},
		"velero defaulting pass while ReadyToStart (Velero 1.18 queue)": {
			obj: withPhase(defaulted, velerov1.BackupPhaseInProgress), old: withPhase(cliSpec, velerov1.BackupPhaseReadyToStart), user: velero,
		},
		"velero defaulting pass while Queued": {
			obj: withPhase(defaulted, velerov1.BackupPhaseQueued), old: withPhase(cliSpec, velerov1.BackupPhaseQueued), user: velero,
		},
		"velero defaulting pass while phase empty": {
			obj: withPhase(defaulted, ""), old: withPhase(cliSpec, ""), user: velero,
		},
		"defaulting pass by someone else": {
			obj: withPhase(defaulted, ""), old: withPhase(cliSpec, ""), user: alice,
			wantErr: []string{`spec.csiSnapshotTimeout: Forbidden: Backup "b1": the spec of a Backup is immutable after creation`, "create a new Backup or use a Schedule"},
		},
		"velero changes a set field while New": {
			obj: withPhase(velerov1.BackupSpec{IncludedNamespaces: []string{"db"}}, velerov1.BackupPhaseNew),
			old: withPhase(velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}, velerov1.BackupPhaseNew), user: velero,
			wantErr: []string{"spec.includedNamespaces: Forbidden"},
		},
		"velero fills a field once InProgress": {
			obj: withPhase(defaulted, velerov1.BackupPhaseInProgress), old: withPhase(cliSpec, velerov1.BackupPhaseInProgress), user: velero,
			wantErr: []string{"immutable"},
		},
		"user edits ttl of a completed backup": {
			obj: withPhase(velerov1.BackupSpec{TTL: metav1.Duration{Duration: time.Hour}}, velerov1.BackupPhaseCompleted),
			old: withPhase(velerov1.BackupSpec{TTL: metav1.Duration{Duration: 720 * time.Hour}}, velerov1.BackupPhaseCompleted), user: alice,
			wantErr: []string{`spec.ttl: Forbidden: Backup "b1": the spec of a Backup is immutable after creation (Velero ignores the change); create a new Backup or use a Schedule`},
		},
		"user clears a field": {
			obj: withPhase(velerov1.BackupSpec{}, velerov1.BackupPhaseNew), old: withPhase(velerov1.BackupSpec{StorageLocation: "default"}, velerov1.BackupPhaseNew), user: velero,
			wantErr: []string{"spec.storageLocation: Forbidden"},
		},
		"status write InProgress": {
			obj: withPhase(defaulted, velerov1.BackupPhaseInProgress), old: withPhase(defaulted, velerov1.BackupPhaseNew), user: velero,
		},
		"status write Completed by Velero": {
			obj: withPhase(defaulted, velerov1.BackupPhaseCompleted), old: withPhase(defaulted, velerov1.BackupPhaseInProgress), user: velero,
		},
		"status write by anyone else": {
			obj: withPhase(defaulted, velerov1.BackupPhaseCompleted), old: withPhase(defaulted, velerov1.BackupPhaseInProgress), user: alice,
			wantErr: []string{`status: Forbidden: Backup "b1": only Velero (system:serviceaccount:velero:velero) may write the status of a Backup`},
		},
		"metadata write on an old backup whose location is gone": {
			obj: func() *velerov1.Backup {
				b := withPhase(velerov1.BackupSpec{StorageLocation: "gone"}, velerov1.BackupPhaseCompleted)
				b.Labels = map[string]string{"velero.io/storage-location": "gone"}
				return b
			}(),
			old: withPhase(velerov1.BackupSpec{StorageLocation: "gone"}, velerov1.BackupPhaseCompleted), user: velero,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs, warns := ValidateBackup(ctx, testConfig(), world(), User{Name: tc.user}, tc.obj, tc.old)
			check(t, errs, warns, tc.wantErr, tc.wantWarn)
		})
	}
}

func TestDefaultBackup(t *testing.T) {
	tests := map[string]struct {
		in       velerov1.BackupSpec
		phase    velerov1.BackupPhase
		world    func(*Objects)
		wantTTL  time.Duration
		wantLoc  string
		wantFsbk *bool
	}{
		"velero CLI zero values":   {in: velerov1.BackupSpec{TTL: metav1.Duration{}}, wantTTL: 720 * time.Hour, wantLoc: "default", wantFsbk: ptr.To(true)},
		"user values are kept":     {in: velerov1.BackupSpec{TTL: metav1.Duration{Duration: time.Hour}, StorageLocation: "other", DefaultVolumesToFsBackup: ptr.To(false)}, wantTTL: time.Hour, wantLoc: "other", wantFsbk: ptr.To(false)},
		"synced backups untouched": {in: velerov1.BackupSpec{}, phase: velerov1.BackupPhaseCompleted},
		"New is still defaulted":   {in: velerov1.BackupSpec{}, phase: velerov1.BackupPhaseNew, wantTTL: 720 * time.Hour, wantLoc: "default", wantFsbk: ptr.To(true)},
		"another default BSL": {
			in: velerov1.BackupSpec{}, wantTTL: 720 * time.Hour, wantLoc: "theirs", wantFsbk: ptr.To(true),
			world: func(o *Objects) {
				o.Locations[0].Spec.Default = false
				o.Locations = append(o.Locations, *fixtures.BSL("theirs", "x", "", "", fixtures.Default))
			},
		},
		"no BSL at all falls back to the managed name": {
			in: velerov1.BackupSpec{}, wantTTL: 720 * time.Hour, wantLoc: "default", wantFsbk: ptr.To(true),
			world: func(o *Objects) { o.Locations = nil },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := world()
			if tc.world != nil {
				tc.world(w)
			}
			b := backupObj("b", tc.in)
			b.Status.Phase = tc.phase
			if _, err := DefaultBackup(ctx, testConfig(), w, b); err != nil {
				t.Fatal(err)
			}
			if b.Spec.TTL.Duration != tc.wantTTL || b.Spec.StorageLocation != tc.wantLoc || fmt.Sprint(ptrVal(b.Spec.DefaultVolumesToFsBackup)) != fmt.Sprint(ptrVal(tc.wantFsbk)) {
				t.Fatalf("got ttl=%v loc=%q fsbackup=%v", b.Spec.TTL.Duration, b.Spec.StorageLocation, ptrVal(b.Spec.DefaultVolumesToFsBackup))
			}
		})
	}
}

func ptrVal(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestDiffSpecs(t *testing.T) {
	filled, changed := diffSpecs(
		velerov1.BackupSpec{TTL: metav1.Duration{}, IncludedNamespaces: []string{"a"}, SnapshotVolumes: ptr.To(false)},
		velerov1.BackupSpec{TTL: metav1.Duration{Duration: time.Hour}, IncludedNamespaces: []string{"b"}, StorageLocation: "x"},
	)
	if fmt.Sprint(filled) != "[storageLocation ttl]" || fmt.Sprint(changed) != "[includedNamespaces snapshotVolumes]" {
		t.Fatalf("filled=%v changed=%v", filled, changed)
	}
}
