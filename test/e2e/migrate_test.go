package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestKKPMigration: a cluster whose backups the real Velero wrote under
// KKP's layout <project>/<cluster>/ (KKP's controller replaces the CBSL
// prefix with the IDs) is rendered by clusterbackup with the CBSL prefix and
// the KKP migration option: its new backups go to
// <CBSL prefix>/<project>/<cluster>, and the old ones are still listed,
// through the read-only BSL that takes KKP's BSL name; a Backup as KKP's
// dashboard writes it (storageLocation default-cluster-backup-bsl) is
// written to the managed BSL and lands under the new prefix.
func TestKKPMigration(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cbsl := f.cbsl.DeepCopy()
	f.cbsl.Spec.ObjectStorage.Prefix = "" // what KKP's controller writes: <project>/<cluster>
	a := f.startCluster(t, "xkc6lgmfsn")
	if a.prefix != projectID+"/xkc6lgmfsn" {
		t.Fatalf("KKP-era prefix = %q", a.prefix)
	}
	waitBSLAvailable(t, a)
	testenv.Must(t, a.User.Create(ctx, &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "kkp-era", Namespace: veleroNS}}))
	waitBackupPhase(t, a, "kkp-era", velerov1.BackupPhaseCompleted)
	if keys := f.s3.Keys(t, bucket, ""); !contains(keys, a.prefix+"/backups/kkp-era/kkp-era.tar.gz") {
		t.Fatalf("KKP-era backup not under %s/: %v", a.prefix, keys)
	}

	// The operator moves the cluster to clusterbackup's layout with --kkp-migrate.
	in := renderer.Input{Cluster: a.cluster, CBSL: cbsl, Secret: f.secret}
	prev, ok := renderer.KKPPreviousLocation(in)
	if !ok {
		t.Fatal("no KKP previous location for a CBSL with a prefix")
	}
	newPrefix, err := in.Prefix()
	testenv.Must(t, err)
	r, err := renderer.New(renderer.Options{Credentials: renderer.CredentialsInline})
	testenv.Must(t, err)
	res, err := r.RenderLifecycle(ctx, in, renderer.Lifecycle{Previous: []renderer.PreviousLocation{prev}})
	testenv.Must(t, err)
	objs, err := res.Objects()
	testenv.Must(t, err)
	a.ConfigureWebhook(t, velerorules.Config{
		Managed:           velerorules.Location{Bucket: bucket, Endpoint: f.s3.Endpoint, Prefix: newPrefix},
		PreviousLocations: []velerorules.Location{{Bucket: bucket, Endpoint: f.s3.Endpoint, Prefix: a.prefix}},
	})
	a.apply(t, objs)
	a.prefix = newPrefix

	// The old backup is listed through the previous location (Velero's sync
	// gives it that storage location), and a new one goes to the new prefix.
	testenv.Eventually(t, 90*time.Second, "backup kkp-era listed through "+renderer.KKPBSLName, func() (bool, error) {
		var b velerov1.Backup
		if err := a.User.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: "kkp-era"}, &b); err != nil {
			return false, err
		}
		return b.Spec.StorageLocation == renderer.KKPBSLName && b.Status.Phase == velerov1.BackupPhaseCompleted, nil
	})
	// A Backup as KKP's dashboard writes it names KKP's BSL, now the
	// read-only KKP-era location: admission writes it to the managed BSL.
	kkpShaped := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "after-migration", Namespace: veleroNS}, Spec: velerov1.BackupSpec{StorageLocation: renderer.KKPBSLName}}
	testenv.Must(t, a.User.Create(ctx, kkpShaped))
	if kkpShaped.Spec.StorageLocation != "default" || kkpShaped.Annotations[velerorules.MappedFromAnnotation] != renderer.KKPBSLName {
		t.Fatalf("the KKP-shaped Backup was stored with storageLocation %q, annotations %v; want the managed BSL and the mapping annotation", kkpShaped.Spec.StorageLocation, kkpShaped.Annotations)
	}
	waitBackupPhase(t, a, "after-migration", velerov1.BackupPhaseCompleted)
	var writtenNew bool
	for _, k := range f.s3.Keys(t, bucket, "") {
		writtenNew = writtenNew || strings.HasPrefix(k, newPrefix+"/backups/after-migration/")
		if strings.Contains(k, "after-migration") && !strings.HasPrefix(k, newPrefix+"/") {
			t.Fatalf("new backup written outside %s/: %s", newPrefix, k)
		}
	}
	if !writtenNew {
		t.Fatalf("backup after-migration not under %s/", newPrefix)
	}
	// Nothing listed before disappeared: both backups are listed, each
	// through its own location.
	for name, loc := range map[string]string{"kkp-era": renderer.KKPBSLName, "after-migration": "default"} {
		var b velerov1.Backup
		testenv.Must(t, a.User.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: name}, &b))
		if b.Spec.StorageLocation != loc || b.Status.Phase != velerov1.BackupPhaseCompleted {
			t.Fatalf("backup %s: location %q phase %s, want %q Completed", name, b.Spec.StorageLocation, b.Status.Phase, loc)
		}
	}
}
