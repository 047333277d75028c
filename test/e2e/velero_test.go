package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestVeleroBackupRestore is the end-to-end proof: render → apply → Velero
// backs up into the cluster's prefix → restore → download; a Schedule makes
// Backups; a second cluster on the same CBSL sees none of the first's. Each
// cluster's Velero (AWS plugin) and the download CLI run with a dedicated
// credential confined to the cluster's prefix by the bucket policy
// `clusterbackup policy` emits, enforced by versitygw.
func TestVeleroBackupRestore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.scoped = true
	a := f.startCluster(t, "xkc6lgmfsn")

	// The rendered BSL becomes Available once Velero validated the storage.
	waitBSLAvailable(t, a)

	// Workload: a namespace with ConfigMaps and Secrets.
	testenv.Must(t, a.User.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}))
	for _, n := range []string{"catalog", "prices"} {
		testenv.Must(t, a.User.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "shop"}, Data: map[string]string{"item": n}}))
	}
	testenv.Must(t, a.User.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"}, StringData: map[string]string{"password": "hunter2"}}))

	// A Backup shaped like the velero CLI's: zero ttl, no storage location.
	b := &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-1", Namespace: veleroNS},
		Spec: velerov1.BackupSpec{
			IncludedNamespaces:   []string{"shop"},
			TTL:                  metav1.Duration{},
			CSISnapshotTimeout:   metav1.Duration{},
			ItemOperationTimeout: metav1.Duration{},
		},
	}
	testenv.Must(t, a.User.Create(ctx, b))
	if b.Spec.TTL.Duration != 720*time.Hour || b.Spec.StorageLocation != "default" || b.Spec.DefaultVolumesToFsBackup == nil || !*b.Spec.DefaultVolumesToFsBackup {
		t.Fatalf("mutation did not fill the defaults: ttl=%s storageLocation=%q defaultVolumesToFsBackup=%v", b.Spec.TTL.Duration, b.Spec.StorageLocation, b.Spec.DefaultVolumesToFsBackup)
	}
	waitBackupPhase(t, a, "shop-1", velerov1.BackupPhaseCompleted)

	// The backup's files live under the cluster's prefix, and nothing was
	// written outside it.
	keys := f.s3.Keys(t, bucket, "")
	want := a.prefix + "/backups/shop-1/shop-1.tar.gz"
	if !contains(keys, want) {
		t.Fatalf("%s missing from the bucket; keys: %v", want, keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, a.prefix+"/") {
			t.Fatalf("object %q was written outside the cluster prefix %s/", k, a.prefix)
		}
	}

	// One-time Backups are immutable.
	var cur velerov1.Backup
	testenv.Must(t, a.User.Get(ctx, client.ObjectKeyFromObject(b), &cur))
	cur.Spec.IncludedNamespaces = []string{"shop", "kube-system"}
	if err := a.User.Update(ctx, &cur); !isForbidden(err) || !strings.Contains(err.Error(), "Schedule") {
		t.Fatalf("editing a Backup's spec: err = %v, want a denial pointing to a new Backup or a Schedule", err)
	}

	// Download the tarball through the CLI and look inside.
	out := filepath.Join(t.TempDir(), "shop-1.tar.gz")
	if _, stderr, code := testenv.RunBinary(t, "download", "--allow-cidr", "127.0.0.1", "--cluster", a.files["cluster"], "--cbsl", a.files["cbsl"], "--secret", a.files["secret"], "--backup", "shop-1", "-o", out); code != 0 {
		t.Fatalf("clusterbackup download: exit %d\n%s", code, stderr)
	}
	entries := tarEntries(t, out)
	for _, n := range []string{"catalog", "prices"} {
		if !containsSuffix(entries, "configmaps/namespaces/shop/"+n+".json") {
			t.Fatalf("tarball lacks ConfigMap %s; entries: %v", n, entries)
		}
	}

	// A backup of the velero namespace holds its Secrets but not the keys.
	checkKeysNotBackedUp(t, a)

	// Lose the namespace, then restore it.
	deleteNamespace(t, a, "shop")
	testenv.Must(t, a.User.Create(ctx, &velerov1.Restore{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-1-restore", Namespace: veleroNS},
		Spec:       velerov1.RestoreSpec{BackupName: "shop-1"},
	}))
	testenv.Eventually(t, 90*time.Second, "restore Completed", func() (bool, error) {
		var r velerov1.Restore
		if err := a.User.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: "shop-1-restore"}, &r); err != nil {
			return false, err
		}
		if r.Status.Phase == velerov1.RestorePhaseFailed || r.Status.Phase == velerov1.RestorePhaseFailedValidation || r.Status.Phase == velerov1.RestorePhasePartiallyFailed {
			t.Fatalf("restore ended %s: %v", r.Status.Phase, r.Status.ValidationErrors)
		}
		return r.Status.Phase == velerov1.RestorePhaseCompleted, nil
	})
	for _, n := range []string{"catalog", "prices"} {
		var cm corev1.ConfigMap
		testenv.Must(t, a.User.Get(ctx, client.ObjectKey{Namespace: "shop", Name: n}, &cm))
		if cm.Data["item"] != n {
			t.Fatalf("restored ConfigMap %s has data %v", n, cm.Data)
		}
	}
	var sec corev1.Secret
	testenv.Must(t, a.User.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "db"}, &sec))
	if string(sec.Data["password"]) != "hunter2" {
		t.Fatal("restored Secret lost its data")
	}

	// A Schedule produces a Backup (Velero runs the first one right away).
	testenv.Must(t, a.User.Create(ctx, &velerov1.Schedule{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-hourly", Namespace: veleroNS},
		Spec:       velerov1.ScheduleSpec{Schedule: "@every 1m", Template: velerov1.BackupSpec{IncludedNamespaces: []string{"shop"}}},
	}))
	testenv.Eventually(t, 150*time.Second, "a Completed Backup from the Schedule", func() (bool, error) {
		var list velerov1.BackupList
		if err := a.User.List(ctx, &list, client.InNamespace(veleroNS), client.MatchingLabels{velerov1.ScheduleNameLabel: "shop-hourly"}); err != nil {
			return false, err
		}
		for _, b := range list.Items {
			if b.Status.Phase == velerov1.BackupPhaseCompleted {
				return true, nil
			}
		}
		return false, nil
	})

	// Seen from the seed: the backups Velero wrote make the cluster
	// protected in `fleet status`, next to late, failing, never backed up
	// and unreachable clusters (test/e2e/fleet_test.go).
	checkFleetStatus(t, f, a, "shop-hourly", "@every 1m")

	// A second cluster on the same CBSL gets its own prefix; its Velero sees
	// none of the first cluster's backups. (One Velero at a time: each binds
	// :8080 for its manager's metrics.)
	a.velero.Stop()
	b2 := f.startCluster(t, "r7tqz9d2wk")
	if b2.prefix == a.prefix || strings.HasPrefix(b2.prefix+"/", a.prefix+"/") || strings.HasPrefix(a.prefix+"/", b2.prefix+"/") {
		t.Fatalf("prefixes overlap: %s and %s", a.prefix, b2.prefix)
	}
	waitBSLAvailable(t, b2)
	// Velero's backup sync runs at its start and then once a minute
	// (backupSyncReconcilePeriod, whatever --backup-sync-period says); at
	// the start the BSL was not Available yet, so it skipped. Restarted
	// with the BSL Available, it syncs at once: the proof of absence is a
	// completed sync (status.lastSyncedTime, written after the import) that
	// imported none of A's backups, not a wait that might have seen no sync.
	restarted := time.Now()
	b2.restartVelero(t)
	testenv.Eventually(t, 2*time.Minute, "a backup sync of cluster "+b2.id+" with its BSL Available", func() (bool, error) {
		var loc velerov1.BackupStorageLocation
		if err := b2.User.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: "default"}, &loc); err != nil {
			return false, err
		}
		last := loc.Status.LastSyncedTime
		return last != nil && !last.Time.Before(restarted.Truncate(time.Second)), fmt.Errorf("last synced %v", last)
	})
	var seen velerov1.BackupList
	testenv.Must(t, b2.User.List(ctx, &seen, client.InNamespace(veleroNS)))
	if len(seen.Items) != 0 {
		t.Fatalf("cluster %s sees %d backups of another cluster: %s", b2.id, len(seen.Items), seen.Items[0].Name)
	}
	// Sanity: the bucket does hold cluster A's backups B could have seen.
	if n := len(f.s3.Keys(t, bucket, "")); n < 2 {
		t.Fatalf("bucket holds %d objects, want cluster %s's backups", n, a.id)
	}
}

func waitBSLAvailable(t *testing.T, uc *userCluster) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, "BSL default of "+uc.id+" Available", func() (bool, error) {
		if uc.velero.Exited() {
			t.Fatalf("velero server exited:\n%s", testenv.Tail(uc.velero.Log(), 40))
		}
		var bsl velerov1.BackupStorageLocation
		if err := uc.User.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: "default"}, &bsl); err != nil {
			return false, err
		}
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, errors.New("phase " + string(bsl.Status.Phase) + " " + bsl.Status.Message)
	})
}

func waitBackupPhase(t *testing.T, uc *userCluster, name string, want velerov1.BackupPhase) {
	t.Helper()
	testenv.Eventually(t, 90*time.Second, "backup "+name+" "+string(want), func() (bool, error) {
		var b velerov1.Backup
		if err := uc.User.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: name}, &b); err != nil {
			return false, err
		}
		switch b.Status.Phase {
		case velerov1.BackupPhaseFailed, velerov1.BackupPhaseFailedValidation, velerov1.BackupPhasePartiallyFailed:
			t.Fatalf("backup %s ended %s: %v %s", name, b.Status.Phase, b.Status.ValidationErrors, b.Status.FailureReason)
		}
		return b.Status.Phase == want, errors.New("phase " + string(b.Status.Phase))
	})
}

// deleteNamespace deletes a namespace and its objects. envtest runs no
// controller-manager, so this does what the namespace controller would:
// delete the contents, then finalize the namespace.
func deleteNamespace(t *testing.T, uc *userCluster, name string) {
	t.Helper()
	ctx := context.Background()
	testenv.Must(t, uc.User.DeleteAllOf(ctx, &corev1.ConfigMap{}, client.InNamespace(name)))
	testenv.Must(t, uc.User.DeleteAllOf(ctx, &corev1.Secret{}, client.InNamespace(name)))
	ns := &corev1.Namespace{}
	testenv.Must(t, uc.User.Get(ctx, client.ObjectKey{Name: name}, ns))
	testenv.Must(t, uc.User.Delete(ctx, ns))
	testenv.Must(t, uc.User.Get(ctx, client.ObjectKey{Name: name}, ns))
	ns.Spec.Finalizers = nil
	testenv.Must(t, uc.User.SubResource("finalize").Update(ctx, ns))
	testenv.Eventually(t, 30*time.Second, "namespace "+name+" gone", func() (bool, error) {
		err := uc.User.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
		return apierrors.IsNotFound(err), err
	})
}

func tarEntries(t *testing.T, file string) []string {
	t.Helper()
	fh, err := os.Open(file)
	testenv.Must(t, err)
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	testenv.Must(t, err)
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		testenv.Must(t, err)
		names = append(names, h.Name)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsSuffix(list []string, suffix string) bool {
	for _, x := range list {
		if strings.HasSuffix(x, suffix) {
			return true
		}
	}
	return false
}
