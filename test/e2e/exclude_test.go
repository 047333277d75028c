package e2e

import (
	"context"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// The Secrets that hold the cluster's keys in the Velero namespace: the S3
// credentials (rendered here with inline credentials, delivered by the
// seed's credentials loop otherwise) and the Kopia repository password.
const (
	cloudCredentials = "velero-cloud-credentials"
	repoCredentials  = "velero-repo-credentials"
)

// checkKeysNotBackedUp backs up the velero namespace next to "shop" with the
// real Velero and reads the tarball: the two key Secrets are not in it,
// while the other Secrets of both namespaces are. The credentials Secret is
// the rendered one, as applied; the repository password Secret is the one
// Velero creates at start-up, labelled as the credentials loop labels the
// Secret it delivers (no seed runs here).
func checkKeysNotBackedUp(t *testing.T, a *userCluster) {
	t.Helper()
	ctx := context.Background()
	// The credentials Secret is in the cluster (rendered, applied).
	testenv.Must(t, a.Admin.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: cloudCredentials}, &corev1.Secret{}))
	var repo corev1.Secret
	testenv.Eventually(t, 30*time.Second, "Velero's "+repoCredentials+" Secret", func() (bool, error) {
		err := a.Admin.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: repoCredentials}, &repo)
		return err == nil, err
	})
	if repo.Labels == nil {
		repo.Labels = map[string]string{}
	}
	repo.Labels[velerov1.ExcludeFromBackupLabel] = "true"
	testenv.Must(t, a.Admin.Update(ctx, &repo))
	// A Secret of the velero namespace without the label: the namespace's
	// Secrets are backed up, only the key Secrets are left out.
	testenv.Must(t, a.Admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "velero-canary", Namespace: veleroNS}, StringData: map[string]string{"note": "not a key"}}))

	testenv.Must(t, a.User.Create(ctx, &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: "with-velero", Namespace: veleroNS},
		Spec:       velerov1.BackupSpec{IncludedNamespaces: []string{"shop", veleroNS}},
	}))
	waitBackupPhase(t, a, "with-velero", velerov1.BackupPhaseCompleted)
	out := filepath.Join(t.TempDir(), "with-velero.tar.gz")
	if _, stderr, code := testenv.RunBinary(t, "download", "--allow-cidr", "127.0.0.1", "--cluster", a.files["cluster"], "--cbsl", a.files["cbsl"], "--secret", a.files["secret"], "--backup", "with-velero", "-o", out); code != 0 {
		t.Fatalf("clusterbackup download: exit %d\n%s", code, stderr)
	}
	entries := tarEntries(t, out)
	for _, want := range []string{"secrets/namespaces/shop/db.json", "secrets/namespaces/" + veleroNS + "/velero-canary.json"} {
		if !containsSuffix(entries, want) {
			t.Fatalf("tarball lacks %s; entries: %v", want, entries)
		}
	}
	for _, e := range entries {
		if !strings.Contains(e, "resources/secrets/") {
			continue
		}
		if n := strings.TrimSuffix(path.Base(e), ".json"); n == cloudCredentials || n == repoCredentials {
			t.Fatalf("the backup holds the key Secret %s: %s", n, e)
		}
	}
}
