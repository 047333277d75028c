package credentials

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/kopia/kopia/repo"
	kopias3 "github.com/kopia/kopia/repo/blob/s3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
)

// kopiaInit makes a Kopia repository encrypted with pw where Velero's
// kopia backend puts the one of volume namespace ns: <cluster
// prefix>/kopia/<ns>/, written by kopia itself (repo.Initialize over its S3
// storage, as Velero's repository provider does).
func kopiaInit(t *testing.T, s *seedcluster.Seed, clusterID, ns, pw string) {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(s.S3.Endpoint)
	testenv.Must(t, err)
	st, err := kopias3.New(ctx, &kopias3.Options{
		BucketName: bucket, Prefix: cbslPre + "/" + projectID + "/" + clusterID + "/kopia/" + ns + "/", Endpoint: u.Host, DoNotUseTLS: true,
		AccessKeyID: s.S3.RootAccessKey, SecretAccessKey: s.S3.RootSecretKey, Region: s3env.Region,
	}, false)
	testenv.Must(t, err)
	defer func() { _ = st.Close(ctx) }()
	testenv.Must(t, repo.Initialize(ctx, st, &repo.NewRepositoryOptions{}, pw))
}

// TestDefaultPasswordKeptForBucketRepositories: Velero's start-up default
// in a user cluster with no BackupRepository object is replaced only when
// the cluster's prefix holds no Kopia repository that the new password
// would not open (#29 item 7: in-cluster objects are no proof).
//   - pwbucket01: the seed holds no password, the bucket a repository
//     encrypted with the default (a Velero re-installed after backups):
//     the default is adopted into the seed, never replaced; a Warning
//     names the repository; the default-password gauge is 1.
//   - pwlocked01: the seed holds a password P (a cluster re-created under
//     its ID), the bucket one repository encrypted with P and one with the
//     default: the default stays, a Warning RepositoryPasswordKeptForBucket
//     names the default's repository, credentials_current is 0. Once that
//     repository is gone, P replaces the default (the re-created
//     cluster's own repository opens with it).
//
// The neighbour with an empty prefix (pwfresh001 in
// TestRepositoryPasswordNeverRotatedSilently) gets a generated password.
func TestDefaultPasswordKeptForBucketRepositories(t *testing.T) {
	ctx := context.Background()
	s, k := startSeedAPI(t, "bucket-key")
	s.StartControllers(t, controllers.Options{Credentials: credentials.Options{Enabled: true, ResyncPeriod: duration.Of(2 * time.Second), ControllerName: "credentials-bucket-test"}})
	testenv.Must(t, s.Client.Create(ctx, cbslSecret(k)))
	testenv.Must(t, s.Client.Create(ctx, cbsl(s.S3.Endpoint)))

	const adopt, locked = "pwbucket01", "pwlocked01"
	seedPw := "the-password-of-the-cluster-before-0123456"
	kopiaInit(t, s, adopt, "shop", "static-passw0rd")
	kopiaInit(t, s, locked, "shop", seedPw)
	kopiaInit(t, s, locked, "web", "static-passw0rd")
	testenv.Must(t, s.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: credentials.DefaultPasswordSecretPrefix + locked, Namespace: cbslNS,
			Labels: map[string]string{credentials.ClusterIDLabel: locked, kkpv1.ProjectIDLabel: projectID}},
		Data: map[string][]byte{credentials.RepoKey: []byte(seedPw)},
	}))
	users := map[string]*kubeenv.ControlPlane{}
	for _, id := range []string{adopt, locked} {
		u := kubeenv.Start(t, kubeenv.Options{})
		users[id] = u
		testenv.Must(t, u.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: veleroNS}}))
		testenv.Must(t, u.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentials.RepoSecret, Namespace: veleroNS}, Data: map[string][]byte{credentials.RepoKey: []byte("static-passw0rd")}}))
		registerUserCluster(t, s.Client, id, u)
		testenv.Must(t, s.Client.Create(ctx, cluster(id)))
	}

	webRepo := cbslPre + "/" + projectID + "/" + locked + "/kopia/web/kopia.repository"
	testenv.Eventually(t, 30*time.Second, "both clusters kept on Velero's default, with Warnings", func() (bool, error) {
		_, evs := eventsText(t, s.Client)
		var adopted, kept bool
		for _, e := range evs {
			adopted = adopted || (e.Regarding.Name == adopt && e.Reason == credentials.ReasonPasswordAdopted && e.Type == corev1.EventTypeWarning &&
				strings.Contains(e.Note, "kopia repository "+cbslPre+"/"+projectID+"/"+adopt+"/kopia/shop/kopia.repository"))
			kept = kept || (e.Regarding.Name == locked && e.Reason == credentials.ReasonPasswordKeptForBucket && e.Type == corev1.EventTypeWarning &&
				strings.Contains(e.Note, webRepo))
		}
		return adopted && kept, nil
	})
	if !bytes.Equal(seedPassword(t, s.Client, adopt), []byte("static-passw0rd")) {
		t.Fatal("the seed stored a new password for a cluster whose bucket holds a repository encrypted with the default")
	}
	for _, id := range []string{adopt, locked} {
		if _, pw := delivered(t, users[id].Client, id, nil); !bytes.Equal(pw, []byte("static-passw0rd")) {
			t.Fatalf("%s: Velero's default was replaced although a repository in the bucket needs it", id)
		}
		if v, ok := gauge(t, credentials.MetricDefault, map[string]string{"cluster": id}); !ok || v != 1 {
			t.Fatalf("%s of %s = %v (%v), want 1", credentials.MetricDefault, id, v, ok)
		}
	}
	if v, ok := gauge(t, credentials.MetricCurrent, map[string]string{"cluster": locked}); !ok || v != 0 {
		t.Fatalf("%s of %s = %v (%v), want 0", credentials.MetricCurrent, locked, v, ok)
	}

	// The default's repository goes (its backups expired): the seed's
	// password opens what remains, so it replaces the default.
	root := s.S3.Client(s.S3.RootAccessKey, s.S3.RootSecretKey)
	out, err := root.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(cbslPre + "/" + projectID + "/" + locked + "/kopia/web/")})
	testenv.Must(t, err)
	for _, o := range out.Contents {
		_, err := root.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		testenv.Must(t, err)
	}
	delivered(t, users[locked].Client, locked+" after the default's repository is gone", func(_, pw []byte) bool { return string(pw) == seedPw })
	testenv.Eventually(t, 15*time.Second, "gauges of "+locked, func() (bool, error) {
		d, ok1 := gauge(t, credentials.MetricDefault, map[string]string{"cluster": locked})
		c, ok2 := gauge(t, credentials.MetricCurrent, map[string]string{"cluster": locked})
		return ok1 && ok2 && d == 0 && c == 1, nil
	})
	assertNoSecret(t, map[string]string{"logs": logs.String(), "events": eventsText0(t, s.Client), "metrics": metricsText(t)}, k.secret, seedPw)
}
