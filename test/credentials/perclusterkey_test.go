package credentials

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3policy"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// TestPerClusterCredentials (#29 item 3): a cluster's dedicated key on the
// seed, Secret clusterbackup-credentials-<id> labelled with the cluster and
// project, takes precedence over the CBSL's key, confined to the cluster's
// prefix by the bucket policy `clusterbackup policy` emits (s3policy); its
// neighbours on the CBSL's key are told that they share it, as render
// tells; and a credentials Secret the loop did not write is never
// overwritten. On versitygw, with three user clusters:
//   - pcdedic001 gets its dedicated key (not the CBSL's), confined (gauge 1),
//     not shared (gauge 0);
//   - pcshare001 and pcshare002 share the CBSL's key: Warning
//     BackupCredentialsShared with render's text on both, gauge 1;
//   - pcshare002 already holds a key someone else put there (no ownership
//     marker): left byte for byte, Warning BackupCredentialsNotOwned,
//     credentials_current 0;
//   - the dedicated Secret relabelled for another cluster: refused with a
//     Warning, and the loop does not fall back to the shared key;
//   - a dedicated key that lists the whole bucket: delivered, Warning
//     BackupCredentialsNotConfined, confined gauge 0;
//   - the dedicated Secret deleted: the cluster falls back to the CBSL's
//     key and joins the shared group (gauge 2).
func TestPerClusterCredentials(t *testing.T) {
	ctx := context.Background()
	s := seedcluster.Start(t, seed.Options{})
	s.StartControllers(t, controllers.Options{Credentials: credentials.Options{Enabled: true, ResyncPeriod: duration.Of(2 * time.Second), ControllerName: "credentials-percluster-test"}})
	testenv.Must(t, s.S3.CreateBucket(ctx, bucket))
	const dedic, share1, share2 = "pcdedic001", "pcshare001", "pcshare002"
	kS, kD, kW := newKey(t, s.S3, "pc-cbsl-key"), newKey(t, s.S3, "pc-dedicated-key"), newKey(t, s.S3, "pc-wide-key")

	// The bucket policy: the CBSL's key and the wide key on the whole
	// bucket, the dedicated key confined by clusterbackup policy's grant.
	doc, err := s3policy.BucketPolicy(s3policy.Grant{Principal: kD.id, Target: s3policy.Target{
		Bucket: bucket, Prefix: cbslPre + "/" + projectID + "/" + dedic, ProjectID: projectID, ClusterID: dedic}})
	testenv.Must(t, err)
	for _, k := range []key{kS, kW} {
		doc.Statement = append(doc.Statement, s3policy.Statement{Sid: "Wide" + strings.ReplaceAll(k.id, "-", ""), Effect: "Allow",
			Principal: &s3policy.Principal{AWS: []string{k.id}}, Action: []string{"s3:*"},
			Resource: []string{s3policy.BucketARN(bucket), s3policy.BucketARN(bucket) + "/*"}})
	}
	policy, err := doc.JSON()
	testenv.Must(t, err)
	_, err = s.S3.Client(s.S3.RootAccessKey, s.S3.RootSecretKey).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(policy))})
	testenv.Must(t, err)

	testenv.Must(t, s.Client.Create(ctx, cbslSecret(kS)))
	testenv.Must(t, s.Client.Create(ctx, cbsl(s.S3.Endpoint)))
	dedicated := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: credentials.DefaultClusterSecretPrefix + dedic, Namespace: cbslNS,
			Labels: map[string]string{credentials.ClusterIDLabel: dedic, kkpv1.ProjectIDLabel: projectID}},
		Data: map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(kD.id), kkpv1.CredentialSecretAccessKey: []byte(kD.secret)},
	}
	testenv.Must(t, s.Client.Create(ctx, dedicated))
	foreign := []byte("[default]\naws_access_key_id=put-there-by-hand\naws_secret_access_key=by-hand-secret-0123456789\n")
	users := map[string]*kubeenv.ControlPlane{}
	for _, id := range []string{dedic, share1, share2} {
		u := kubeenv.Start(t, kubeenv.Options{})
		users[id] = u
		registerUserCluster(t, s.Client, id, u)
	}
	testenv.Must(t, users[share2].Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: veleroNS}}))
	theirs := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentials.DefaultCredentialsSecret, Namespace: veleroNS}, Data: map[string][]byte{credentials.DefaultCredentialsKey: foreign}}
	testenv.Must(t, users[share2].Client.Create(ctx, theirs))
	for id := range users {
		testenv.Must(t, s.Client.Create(ctx, cluster(id)))
	}

	has := func(ini []byte, k key) bool { return bytes.Contains(ini, []byte("aws_secret_access_key="+k.secret)) }
	delivered(t, users[dedic].Client, dedic+" with its dedicated key", func(ini, _ []byte) bool { return has(ini, kD) })
	delivered(t, users[share1].Client, share1+" with the CBSL's key", func(ini, _ []byte) bool { return has(ini, kS) })
	waitEvent(t, s, share1, credentials.ReasonCredentialsShared, "access key "+kS.id+" is shared by clusters "+share1+", "+share2)
	waitEvent(t, s, share2, credentials.ReasonCredentialsShared, "access key "+kS.id+" is shared by clusters "+share1+", "+share2)
	waitEvent(t, s, share2, credentials.ReasonCredentialsNotOwned, "secret "+veleroNS+"/"+credentials.DefaultCredentialsSecret+" was not written by clusterbackup")
	waitGauges(t, map[string]map[string]float64{
		dedic:  {credentials.MetricShared: 0, credentials.MetricConfined: 1, credentials.MetricCurrent: 1},
		share1: {credentials.MetricShared: 1, credentials.MetricCurrent: 1},
		share2: {credentials.MetricShared: 1, credentials.MetricCurrent: 0},
	})
	if _, ok := gauge(t, credentials.MetricConfined, map[string]string{"cluster": share1}); ok {
		t.Fatalf("%s has a %s series without a dedicated key", share1, credentials.MetricConfined)
	}
	var got corev1.Secret
	testenv.Must(t, users[share2].Client.Get(ctx, client.ObjectKeyFromObject(theirs), &got))
	if !bytes.Equal(got.Data[credentials.DefaultCredentialsKey], foreign) || got.ResourceVersion != theirs.ResourceVersion {
		t.Fatal("the loop overwrote a credentials Secret it did not write")
	}
	_, evs := eventsText(t, s.Client)
	for _, e := range evs {
		if e.Regarding.Name == dedic && (e.Reason == credentials.ReasonCredentialsShared || e.Reason == credentials.ReasonCredentialsNotConfined) {
			t.Fatalf("%s: %s %q for a confined dedicated key", dedic, e.Reason, e.Note)
		}
	}

	// The dedicated Secret now claims another cluster: refused, and no
	// fallback to the shared key.
	testenv.Must(t, s.Client.Get(ctx, client.ObjectKeyFromObject(dedicated), dedicated))
	dedicated.Labels[credentials.ClusterIDLabel] = share1
	testenv.Must(t, s.Client.Update(ctx, dedicated))
	waitEvent(t, s, dedic, credentials.ReasonFailed, "secret "+cbslNS+"/"+dedicated.Name+" is not the dedicated storage key of cluster "+dedic)
	// Through a resync at least, the refused key never makes the loop fall
	// back to the CBSL's shared key.
	testenv.Never(t, 3*time.Second, 250*time.Millisecond, "a refused dedicated key made the loop fall back to the CBSL's shared key", func() (bool, error) {
		ini, _ := delivered(t, users[dedic].Client, dedic, nil)
		return !has(ini, kD), nil
	})

	// A dedicated key that reaches the whole bucket.
	dedicated.Labels[credentials.ClusterIDLabel] = dedic
	dedicated.Data = map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(kW.id), kkpv1.CredentialSecretAccessKey: []byte(kW.secret)}
	testenv.Must(t, s.Client.Update(ctx, dedicated))
	delivered(t, users[dedic].Client, dedic+" with the wide key", func(ini, _ []byte) bool { return has(ini, kW) })
	waitEvent(t, s, dedic, credentials.ReasonCredentialsNotConfined, "the dedicated key of secret "+cbslNS+"/"+dedicated.Name+" lists the bucket root")
	waitGauges(t, map[string]map[string]float64{dedic: {credentials.MetricConfined: 0, credentials.MetricShared: 0}})

	// Gone: back to the CBSL's key, shared by three.
	testenv.Must(t, s.Client.Delete(ctx, dedicated))
	delivered(t, users[dedic].Client, dedic+" back on the CBSL's key", func(ini, _ []byte) bool { return has(ini, kS) })
	waitEvent(t, s, dedic, credentials.ReasonCredentialsShared, "is shared by clusters "+dedic+", "+share1+", "+share2)
	waitGauges(t, map[string]map[string]float64{dedic: {credentials.MetricShared: 2}})
	if _, ok := gauge(t, credentials.MetricConfined, map[string]string{"cluster": dedic}); ok {
		t.Fatalf("%s keeps a %s series after its dedicated key is gone", dedic, credentials.MetricConfined)
	}
	assertNoSecret(t, map[string]string{"logs": logs.String(), "events": eventsText0(t, s.Client), "metrics": metricsText(t)},
		kS.secret, kD.secret, kW.secret, "by-hand-secret-0123456789")
}

// waitEvent waits for an Event of reason on the Cluster id whose note
// contains note.
func waitEvent(t *testing.T, s *seedcluster.Seed, id, reason, note string) {
	t.Helper()
	kubeenv.WaitEvent(t, s.Client, kkpv1.KindCluster, id, reason, note)
}

// waitGauges waits until every cluster's gauges have the wanted values.
func waitGauges(t *testing.T, want map[string]map[string]float64) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "gauges", func() (bool, error) {
		for id, ms := range want {
			for name, v := range ms {
				if got, ok := gauge(t, name, map[string]string{"cluster": id}); !ok || got != v {
					return false, nil
				}
			}
		}
		return true, nil
	})
}
