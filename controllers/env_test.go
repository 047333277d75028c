package controllers_test

import (
	"context"
	"os"
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// logs captures every log line of the test process (controller-runtime's
// global logger), so tests can prove secrets never reach a log.
var logs *testenv.SyncBuffer

// wrongSecret is a secret access key versitygw refuses.
const wrongSecret = "wrong-secret-Zq81KKx0aBc"

func TestMain(m *testing.M) {
	logs = testenv.CaptureLogs()
	os.Exit(m.Run())
}

// ns is the CBSL namespace seedcluster creates.
const ns = seed.DefaultCBSLNamespace

// startSeed starts a seed (API server calling the seed webhooks in warn
// mode, so that CBSLs failing the check exist for the loops to meet;
// versitygw) with bucket "backups".
func startSeed(t *testing.T) *seedcluster.Seed {
	t.Helper()
	s := seedcluster.Start(t, seed.Options{Mode: seed.ModeWarn})
	if err := s.S3.CreateBucket(context.Background(), "backups"); err != nil {
		t.Fatal(err)
	}
	return s
}

// secret creates a credential Secret of project p1 in KKP's layout.
func secret(t *testing.T, s *seedcluster.Seed, name, ak, sk string) {
	t.Helper()
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Data: map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(ak), kkpv1.CredentialSecretAccessKey: []byte(sk)}}
	if err := s.Client.Create(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
}

// cbsl returns a CBSL of project p1 on versitygw with the given bucket,
// relying on the mutating webhook for provider, accessMode and path style.
func cbsl(s *seedcluster.Seed, name, bucket, secret string) *kkpv1.ClusterBackupStorageLocation {
	return &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Spec: velerov1.BackupStorageLocationSpec{
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: "seed-eu"}},
			Config:      map[string]string{"region": s3env.Region, "s3Url": s.S3.Endpoint},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}},
		},
	}
}

func cluster(name, project, cbsl string) *kkpv1.Cluster {
	return &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
		Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl}}}}
}

// assertNoSecret fails when text holds a Secret's body or one of secrets.
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	// client-go dumps response bodies at verbosity 8: a Secret's body must
	// never be among them.
	if i := strings.Index(text, "|k8s.....v1..Secr"); i >= 0 {
		t.Fatalf("a Secret's body was logged: %q", text[max(0, i-200):min(len(text), i+200)])
	}
	for _, s := range secrets {
		if i := strings.Index(text, s); i >= 0 {
			t.Fatalf("a secret appears in logs or messages near: %q", text[max(0, i-200):i])
		}
	}
}

// gaugeValue returns the first series of gauge name carrying labels.
func gaugeValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	ms := testenv.Series(t, name, labels)
	if len(ms) == 0 {
		t.Fatalf("no %s%v", name, labels)
	}
	return ms[0].GetGauge().GetValue()
}
