package credentials

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

const (
	bucket    = "kkp-backups"
	cbslName  = "backups-eu"
	cbslNS    = "kubermatic"
	cbslPre   = "seed-eu"
	projectID = "jnpllgp66z"
	secret    = "credential-backups-eu-x7k2p" // KKP's dashboard naming
	veleroNS  = credentials.DefaultVeleroNamespace
)

// key is one S3 user of versitygw.
type key struct{ id, secret string }

// startSeedAPI starts the seed (test/seedcluster: kube-apiserver calling
// the seed webhooks, served by our server in seed mode, and versitygw; the
// CBSL namespace exists) with the bucket, where only a new key keyID may
// act under the bucket policy.
func startSeedAPI(t *testing.T, keyID string) (*seedcluster.Seed, key) {
	t.Helper()
	s := seedcluster.Start(t, seed.Options{CachedSecrets: true})
	testenv.Must(t, s.S3.CreateBucket(context.Background(), bucket))
	k1 := newKey(t, s.S3, keyID)
	allowOnly(t, s.S3, k1)
	return s, k1
}

func newKey(t *testing.T, s *s3env.Server, id string) key {
	t.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	k := key{id: id, secret: "sk" + hex.EncodeToString(b)}
	testenv.Must(t, s.CreateUser(k.id, k.secret))
	return k
}

// allowOnly makes the bucket usable by exactly these users (bucket policy),
// so a key left out is refused from then on.
func allowOnly(t *testing.T, s *s3env.Server, keys ...key) {
	t.Helper()
	var ids []string
	for _, k := range keys {
		ids = append(ids, fmt.Sprintf("%q", k.id))
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[%s]},"Action":["s3:*"],"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`,
		strings.Join(ids, ","), bucket, bucket)
	_, err := s.Client(s.RootAccessKey, s.RootSecretKey).PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
	testenv.Must(t, err)
}

// canList reports whether k may list the bucket.
func canList(s *s3env.Server, k key) bool {
	_, err := s.Client(k.id, k.secret).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
	return err == nil
}

// cbslSecret is the CBSL's credential Secret in KKP's layout.
func cbslSecret(k key) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secret, Namespace: cbslNS, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Data:       map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(k.id), kkpv1.CredentialSecretAccessKey: []byte(k.secret)},
	}
}

// cbsl is the project's CBSL on versitygw, as KKP's dashboard writes it
// (key cloud-credentials, which the Secret does not hold).
func cbsl(endpoint string) *kkpv1.ClusterBackupStorageLocation {
	return &kkpv1.ClusterBackupStorageLocation{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: kkpv1.KindClusterBackupStorageLocation},
		ObjectMeta: metav1.ObjectMeta{Name: cbslName, Namespace: cbslNS, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: cbslPre}},
			Config:      map[string]string{"region": s3env.Region, "s3Url": endpoint, "s3ForcePathStyle": "true"},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "cloud-credentials"},
		},
	}
}

// cluster is a KKP Cluster of the project using the CBSL.
func cluster(id string) *kkpv1.Cluster {
	return &kkpv1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: kkpv1.KindCluster},
		ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbslName}}},
	}
}

// registerUserCluster writes what KKP keeps on the seed for a user
// cluster's control plane: namespace cluster-<id> with Secret
// internal-admin-kubeconfig (key kubeconfig) reaching the user cluster as
// an admin.
func registerUserCluster(t *testing.T, seedc client.Client, id string, user *kubeenv.ControlPlane) {
	t.Helper()
	ctx := context.Background()
	u, err := user.Env.AddUser(envtest.User{Name: "kkp-admin", Groups: []string{"system:masters"}}, nil)
	testenv.Must(t, err)
	kc, err := u.KubeConfig()
	testenv.Must(t, err)
	ns := userclient.DefaultNamespacePrefix + id
	testenv.Must(t, seedc.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	testenv.Must(t, seedc.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: userclient.DefaultSecretName, Namespace: ns},
		Data:       map[string][]byte{userclient.DefaultSecretKey: kc},
	}))
}

// delivered waits until the user cluster holds both Secrets and returns the
// credentials file and the repository password.
func delivered(t *testing.T, user client.Client, what string, want func(ini, pw []byte) bool) (ini, pw []byte) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, what, func() (bool, error) {
		var c, r corev1.Secret
		if err := user.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: credentials.DefaultCredentialsSecret}, &c); err != nil {
			return false, err
		}
		if err := user.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: credentials.RepoSecret}, &r); err != nil {
			return false, err
		}
		ini, pw = c.Data[credentials.DefaultCredentialsKey], r.Data[credentials.RepoKey]
		if c.Labels[credentials.ExcludeFromBackupLabel] != "true" {
			return false, fmt.Errorf("secret %s/%s lacks %s=true: backups would carry the S3 key", veleroNS, c.Name, credentials.ExcludeFromBackupLabel)
		}
		if r.Labels[credentials.ManagedByLabel] == credentials.ManagedByValue && r.Labels[credentials.ExcludeFromBackupLabel] != "true" {
			return false, fmt.Errorf("secret %s/%s lacks %s=true: backups would carry the repository password", veleroNS, r.Name, credentials.ExcludeFromBackupLabel)
		}
		return want == nil || want(ini, pw), nil
	})
	return ini, pw
}

// seedPassword returns the seed's copy of a cluster's repository password.
func seedPassword(t *testing.T, seedc client.Client, id string) []byte {
	t.Helper()
	var s corev1.Secret
	testenv.Must(t, seedc.Get(context.Background(), client.ObjectKey{Namespace: cbslNS, Name: credentials.DefaultPasswordSecretPrefix + id}, &s))
	if s.Labels[credentials.ClusterIDLabel] != id || len(s.OwnerReferences) != 0 {
		t.Fatalf("seed password secret of %s: labels %v, owners %v; want the cluster-id label and no owner", id, s.Labels, s.OwnerReferences)
	}
	return s.Data[credentials.RepoKey]
}
