package credentials

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// TestRepositoryPasswordNeverRotatedSilently covers the user clusters that
// already hold a repository password when the loop first sees them:
//   - Velero's built-in default with no BackupRepository yet (Velero started
//     before the loop): replaced by a generated password;
//   - Velero's default with a BackupRepository (a KKP-migrated cluster):
//     adopted into the seed as it is, with a Warning, never replaced;
//   - a password of its own: adopted into the seed;
//   - and later a differing password: left alone, reported by a Warning
//     Event and the gauge at 0;
//   - a seed Secret that only takes the password copy's name (another
//     project's labels, no cluster-id label, a password someone chose): not
//     used and not replaced — a Warning Event names it, the user cluster
//     keeps Velero's default, the gauge stays at 0.
func TestRepositoryPasswordNeverRotatedSilently(t *testing.T) {
	ctx := context.Background()
	s := seedcluster.Start(t, seed.Options{})
	s.StartControllers(t, controllers.Options{Credentials: credentials.Options{Enabled: true, ResyncPeriod: duration.Of(2 * time.Second), ControllerName: "credentials-password-test"}})
	testenv.Must(t, s.S3.CreateBucket(ctx, bucket))
	k := newKey(t, s.S3, "pw-key")
	allowOnly(t, s.S3, k)
	testenv.Must(t, s.Client.Create(ctx, cbslSecret(k)))
	testenv.Must(t, s.Client.Create(ctx, cbsl(s.S3.Endpoint)))

	const fresh, migrated, own, planted = "pwfresh001", "pwmigrat01", "pwown00001", "pwplant001"
	ownPw := []byte("a-password-the-owner-chose-0123456789")
	plantedPw := []byte("a-password-another-project-chose-01234")
	users := map[string]*kubeenv.ControlPlane{}
	for id, pre := range map[string][]byte{fresh: []byte("static-passw0rd"), migrated: []byte("static-passw0rd"), own: ownPw, planted: []byte("static-passw0rd")} {
		u := kubeenv.Start(t, kubeenv.Options{})
		users[id] = u
		testenv.Must(t, u.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: veleroNS}}))
		testenv.Must(t, u.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentials.RepoSecret, Namespace: veleroNS}, Data: map[string][]byte{credentials.RepoKey: pre}}))
		registerUserCluster(t, s.Client, id, u)
	}
	testenv.Must(t, users[migrated].Client.Create(ctx, &velerov1.BackupRepository{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-default-kopia", Namespace: veleroNS},
		Spec:       velerov1.BackupRepositorySpec{VolumeNamespace: "shop", BackupStorageLocation: "default", RepositoryType: "kopia", ResticIdentifier: "x"},
	}))
	// A Secret by the name of planted's password copy, as another project's
	// CBSL credential Secret would be labelled.
	plant := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentials.DefaultPasswordSecretPrefix + planted, Namespace: cbslNS,
		Labels: map[string]string{kkpv1.ProjectIDLabel: "q4mh2x8vbn"}}, Data: map[string][]byte{credentials.RepoKey: plantedPw}}
	testenv.Must(t, s.Client.Create(ctx, plant))
	for id := range users {
		testenv.Must(t, s.Client.Create(ctx, cluster(id)))
	}

	_, pw := delivered(t, users[fresh].Client, "fresh cluster", func(_, pw []byte) bool { return !bytes.Equal(pw, []byte("static-passw0rd")) })
	if !bytes.Equal(seedPassword(t, s.Client, fresh), pw) || len(pw) < 32 {
		t.Fatal("Velero's unused default was not replaced by the seed's generated password")
	}
	testenv.Eventually(t, 10*time.Second, "seed copies of the adopted passwords", func() (bool, error) {
		var a, b corev1.Secret
		if err := s.Client.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: credentials.DefaultPasswordSecretPrefix + migrated}, &a); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		if err := s.Client.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: credentials.DefaultPasswordSecretPrefix + own}, &b); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return bytes.Equal(a.Data[credentials.RepoKey], []byte("static-passw0rd")) && bytes.Equal(b.Data[credentials.RepoKey], ownPw), nil
	})
	for id, want := range map[string][]byte{migrated: []byte("static-passw0rd"), own: ownPw} {
		if _, got := delivered(t, users[id].Client, id, nil); !bytes.Equal(got, want) {
			t.Fatalf("%s: the user cluster's repository password was replaced", id)
		}
	}

	// Someone changes the password in the user cluster: the loop keeps it,
	// and says so.
	var r corev1.Secret
	testenv.Must(t, users[own].Client.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: credentials.RepoSecret}, &r))
	r.Data[credentials.RepoKey] = []byte("changed-by-hand-000000000000000000000")
	testenv.Must(t, users[own].Client.Update(ctx, &r))
	testenv.Eventually(t, 15*time.Second, "conflict reported", func() (bool, error) {
		v, ok := gauge(t, "clusterbackup_cluster_credentials_current", map[string]string{"cluster": own})
		if !ok || v != 0 {
			return false, nil
		}
		_, evs := eventsText(t, s.Client)
		for _, e := range evs {
			if e.Regarding.Name == own && e.Reason == credentials.ReasonPasswordConflict && e.Type == corev1.EventTypeWarning {
				return true, nil
			}
		}
		return false, nil
	})
	if _, got := delivered(t, users[own].Client, own, nil); string(got) != "changed-by-hand-000000000000000000000" || !bytes.Equal(seedPassword(t, s.Client, own), ownPw) {
		t.Fatal("a conflicting repository password was overwritten, or the seed's copy changed")
	}
	// The planted Secret: credentials delivered, the password not; a
	// Warning names the Secret; nothing changed on either side.
	testenv.Eventually(t, 15*time.Second, "planted password copy refused", func() (bool, error) {
		_, evs := eventsText(t, s.Client)
		for _, e := range evs {
			if e.Regarding.Name == planted && e.Reason == credentials.ReasonFailed && e.Type == corev1.EventTypeWarning &&
				strings.Contains(e.Note, "secret "+cbslNS+"/"+plant.Name+" is not the repository password of cluster "+planted) {
				return true, nil
			}
		}
		return false, nil
	})
	if v, ok := gauge(t, "clusterbackup_cluster_credentials_current", map[string]string{"cluster": planted}); !ok || v != 0 {
		t.Fatalf("credentials_current of %s = %v (%v), want 0", planted, v, ok)
	}
	if _, got := delivered(t, users[planted].Client, planted, nil); !bytes.Equal(got, []byte("static-passw0rd")) {
		t.Fatalf("%s: the user cluster's repository password became %q", planted, got)
	}
	var after corev1.Secret
	testenv.Must(t, s.Client.Get(ctx, client.ObjectKeyFromObject(plant), &after))
	if !bytes.Equal(after.Data[credentials.RepoKey], plantedPw) || len(after.Labels) != 1 || after.ResourceVersion != plant.ResourceVersion {
		t.Fatalf("the planted Secret was changed: labels %v", after.Labels)
	}

	_, evs := eventsText(t, s.Client)
	adopted := 0
	for _, e := range evs {
		if e.Reason == credentials.ReasonPasswordAdopted && e.Type == corev1.EventTypeWarning {
			adopted++
		}
	}
	if adopted != 2 {
		t.Fatalf("%d Warning Events %s, want 2 (migrated and own)", adopted, credentials.ReasonPasswordAdopted)
	}
	assertNoSecret(t, map[string]string{"logs": logs.String(), "events": eventsText0(t, s.Client), "metrics": metricsText(t)},
		k.secret, string(pw), string(ownPw), "changed-by-hand-000000000000000000000", string(plantedPw))
}

func eventsText0(t *testing.T, c client.Client) string {
	t.Helper()
	s, _ := eventsText(t, c)
	return s
}
