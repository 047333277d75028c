package credentials

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
	"github.com/clusterbackup/clusterbackup/test/usercluster"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// resync is the loop's period in this test: the bound within which a
// rotated key must reach the user cluster even without a watch event.
const resync = 20 * time.Second

// TestCredentialsLoop is the acceptance test of the seed's credentials
// loop: two user clusters get their credentials Secret and distinct
// repository passwords from the seed; a real Velero server becomes
// Available with them and backs up; a rotated CBSL key reaches the user
// cluster within the bound and the next backup is written with it (the
// old key is refused by then); the periodic resync repairs a Secret changed
// in the user cluster within the period; disabling backups removes nothing; deleting
// a Cluster keeps the seed's password copy; and no key or password appears
// in logs, Events, metrics or CLI output.
func TestCredentialsLoop(t *testing.T) {
	ctx := context.Background()
	s := seedcluster.Start(t, seed.Options{})
	s.StartControllers(t, controllers.Options{Credentials: credentials.Options{Enabled: true, ResyncPeriod: duration.Of(resync), ControllerName: "credentials-loop-test"}})
	testenv.Must(t, s.S3.CreateBucket(ctx, bucket))
	k1, k2 := newKey(t, s.S3, "backup-key-1"), newKey(t, s.S3, "backup-key-2")
	allowOnly(t, s.S3, k1, k2)
	loc := cbsl(s.S3.Endpoint)
	testenv.Must(t, s.Client.Create(ctx, cbslSecret(k1)))
	testenv.Must(t, s.Client.Create(ctx, loc.DeepCopy()))

	// Two user clusters, each its own control plane, registered the way
	// KKP registers them on the seed.
	const idA, idB = "xkc6lgmfsn", "m2vd8s5ptc"
	a := usercluster.Start(t)
	b := kubeenv.Start(t, kubeenv.Options{})
	registerUserCluster(t, s.Client, idA, a.Kube)
	registerUserCluster(t, s.Client, idB, b)
	objs, pfx := render(t, cluster(idA), loc)
	a.ConfigureWebhook(t, velerorules.Config{Managed: velerorules.Location{Bucket: bucket, Endpoint: s.S3.Endpoint, Prefix: pfx}})
	apply(t, a, objs)
	testenv.Must(t, s.Client.Create(ctx, cluster(idA)))
	testenv.Must(t, s.Client.Create(ctx, cluster(idB)))

	var iniA, pwA, pwB []byte
	t.Run("both Secrets reach each user cluster", func(t *testing.T) {
		iniA, pwA = delivered(t, a.Root, "credentials in user cluster A", nil)
		_, pwB = delivered(t, b.Client, "credentials in user cluster B", nil)
		if !bytes.Contains(iniA, []byte("aws_access_key_id="+k1.id)) || !bytes.Contains(iniA, []byte("aws_secret_access_key="+k1.secret)) {
			t.Fatal("the credentials file of user cluster A does not hold the CBSL's key")
		}
		if len(pwA) < 32 || bytes.Equal(pwA, pwB) {
			t.Fatalf("repository passwords: %d and %d bytes, equal=%v; want distinct passwords of at least 32 characters", len(pwA), len(pwB), bytes.Equal(pwA, pwB))
		}
		if !bytes.Equal(seedPassword(t, s.Client, idA), pwA) || !bytes.Equal(seedPassword(t, s.Client, idB), pwB) {
			t.Fatal("a user cluster's repository password differs from the seed's copy")
		}
		for id, want := range map[string]float64{idA: 1, idB: 1} {
			testenv.Eventually(t, 10*time.Second, "gauge of "+id, func() (bool, error) {
				v, ok := gauge(t, "clusterbackup_cluster_credentials_current", map[string]string{"cluster": id, "project": projectID})
				return ok && v == want, nil
			})
		}
	})

	testenv.Must(t, a.User.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}))
	testenv.Must(t, a.User.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "catalog", Namespace: "shop"}, Data: map[string]string{"item": "tea"}}))
	v := startVelero(t, a, objs, iniA)
	t.Run("Velero is Available with them and backs up", func(t *testing.T) {
		waitBSLAvailable(t, a, v)
		backup(t, a, "before-rotation")
		if !hasObject(t, s, pfx+"/backups/before-rotation/before-rotation.tar.gz") {
			t.Fatal("the backup is not under the cluster's prefix")
		}
		// Velero found the delivered password and kept it.
		_, pw := delivered(t, a.Root, "repository password after Velero started", nil)
		if !bytes.Equal(pw, pwA) {
			t.Fatal("Velero replaced the delivered repository password")
		}
	})

	t.Run("a rotated key reaches the user cluster within the bound and the next backup uses it", func(t *testing.T) {
		var cur corev1.Secret
		testenv.Must(t, s.Client.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: secret}, &cur))
		cur.Data = cbslSecret(k2).Data
		start := time.Now()
		testenv.Must(t, s.Client.Update(ctx, &cur))
		delivered(t, a.Root, "rotated key in user cluster A", func(ini, _ []byte) bool {
			return bytes.Contains(ini, []byte("aws_secret_access_key="+k2.secret))
		})
		took := time.Since(start)
		t.Logf("rotated key delivered after %s (bound: resync period %s + 10%%)", took.Round(time.Millisecond), resync)
		if took > resync+resync/10 {
			t.Fatalf("delivery took %s, over the bound %s", took, resync+resync/10)
		}
		allowOnly(t, s.S3, k2)
		if canList(s.S3, k1) || !canList(s.S3, k2) {
			t.Fatal("bucket policy: the old key must be refused and the new one admitted")
		}
		backup(t, a, "after-rotation")
		if !hasObject(t, s, pfx+"/backups/after-rotation/after-rotation.tar.gz") {
			t.Fatal("the backup after rotation is not under the cluster's prefix")
		}
		_, pw := delivered(t, a.Root, "repository password after rotation", nil)
		if !bytes.Equal(pw, pwA) {
			t.Fatal("rotating the storage key changed the repository password")
		}
	})

	t.Run("without a watch event the resync restores the Secret within the period", func(t *testing.T) {
		var cur corev1.Secret
		testenv.Must(t, a.Root.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: credentials.DefaultCredentialsSecret}, &cur))
		cur.Data = map[string][]byte{credentials.DefaultCredentialsKey: []byte("[default]\naws_access_key_id=tampered\naws_secret_access_key=tampered\n")}
		start := time.Now()
		testenv.Must(t, a.Root.Update(ctx, &cur)) // the seed does not watch user clusters
		bound := resync + resync/10
		testenv.Eventually(t, bound+5*time.Second, "credentials restored by the resync", func() (bool, error) {
			var got corev1.Secret
			if err := a.Root.Get(ctx, client.ObjectKey{Namespace: veleroNS, Name: credentials.DefaultCredentialsSecret}, &got); err != nil {
				return false, err
			}
			return bytes.Contains(got.Data[credentials.DefaultCredentialsKey], []byte("aws_secret_access_key="+k2.secret)), nil
		})
		took := time.Since(start)
		t.Logf("restored by the resync after %s (bound %s)", took.Round(time.Millisecond), bound)
		if took > bound+time.Second {
			t.Fatalf("the resync took %s, over the bound %s", took, bound)
		}
	})

	t.Run("disabling backups removes nothing", func(t *testing.T) {
		var c kkpv1.Cluster
		testenv.Must(t, s.Client.Get(ctx, client.ObjectKey{Name: idB}, &c))
		c.Spec.BackupConfig = nil
		testenv.Must(t, s.Client.Update(ctx, &c))
		testenv.Eventually(t, 10*time.Second, "gauge of "+idB+" dropped", func() (bool, error) {
			_, ok := gauge(t, "clusterbackup_cluster_credentials_current", map[string]string{"cluster": idB})
			return !ok, nil
		})
		_, pw := delivered(t, b.Client, "credentials kept in user cluster B", nil)
		if !bytes.Equal(pw, pwB) || !bytes.Equal(seedPassword(t, s.Client, idB), pwB) {
			t.Fatal("disabling backups changed a repository password")
		}
	})

	t.Run("deleting a cluster keeps the seed's password copy", func(t *testing.T) {
		testenv.Must(t, s.Client.Delete(ctx, cluster(idA)))
		testenv.Eventually(t, 10*time.Second, "gauge of "+idA+" dropped", func() (bool, error) {
			_, ok := gauge(t, "clusterbackup_cluster_credentials_current", map[string]string{"cluster": idA})
			return !ok, nil
		})
		if !bytes.Equal(seedPassword(t, s.Client, idA), pwA) {
			t.Fatal("the seed's copy of the deleted cluster's repository password changed")
		}
	})

	t.Run("Events report per cluster", func(t *testing.T) {
		_, evs := eventsText(t, s.Client)
		want := map[string]bool{idA + "/" + credentials.ReasonCredentialsUpdated: false, idA + "/" + credentials.ReasonPasswordGenerated: false,
			idA + "/" + credentials.ReasonPasswordDelivered: false, idB + "/" + credentials.ReasonPasswordGenerated: false}
		for _, e := range evs {
			if e.Regarding.Kind == kkpv1.KindCluster {
				want[e.Regarding.Name+"/"+e.Reason] = true
			}
		}
		for k, ok := range want {
			if !ok {
				t.Errorf("no Event %s on the seed", k)
			}
		}
	})

	t.Run("no key or password in logs, Events, metrics or CLI output", func(t *testing.T) {
		dir := t.TempDir()
		files := map[string]any{"cluster.yaml": cluster(idA), "cbsl.yaml": loc}
		var args []string
		for name, obj := range files {
			b, err := yaml.Marshal(obj)
			testenv.Must(t, err)
			testenv.Must(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
			args = append(args, "-f", filepath.Join(dir, name))
		}
		out, stderr, code := testenv.RunBinary(t, append([]string{"render"}, args...)...)
		if code != 0 || !strings.Contains(out, "name: "+credentials.DefaultCredentialsSecret) {
			t.Fatalf("clusterbackup render: exit %d, output names the credentials Secret: %v\n%s", code, strings.Contains(out, credentials.DefaultCredentialsSecret), stderr)
		}
		events, _ := eventsText(t, s.Client)
		assertNoSecret(t, map[string]string{
			"logs": logs.String(), "events": events, "metrics": metricsText(t),
			"render output": out + stderr, "admission warnings": s.Warnings() + " ",
		}, k1.secret, k2.secret, string(pwA), string(pwB))
	})
}

// hasObject reports whether the bucket holds key.
func hasObject(t *testing.T, s *seedcluster.Seed, key string) bool {
	t.Helper()
	c := s.S3.Client(s.S3.RootAccessKey, s.S3.RootSecretKey)
	_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err == nil
}
