package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3policy"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/internal/testenv/veleroenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/test/usercluster"
)

const (
	veleroNS  = "velero"
	veleroSA  = "system:serviceaccount:velero:velero"
	bucket    = "kkp-backups"
	cbslPre   = "seed-eu"
	projectID = "jnpllgp66z"
)

// userCluster is one user cluster: its own kube-apiserver + etcd, our
// webhook, the rendered release applied, and a velero server process.
type userCluster struct {
	*usercluster.Cluster
	id     string
	prefix string
	velero *veleroenv.Server
	// veleroOpts started velero (restartVelero starts it again).
	veleroOpts veleroenv.Options
	files      map[string]string // rendered input files for the CLI
	cluster    *kkpv1.Cluster
}

// fixture is the seed side shared by the clusters: the S3 server, the CBSL
// and its credential Secret.
type fixture struct {
	s3     *s3env.Server
	cbsl   *kkpv1.ClusterBackupStorageLocation
	secret *corev1.Secret
	dir    string
	// scoped gives every cluster started from now on a dedicated versitygw
	// user confined to its prefix by the bucket policy `clusterbackup
	// policy` emits (one policy for all such clusters, re-applied per
	// cluster); Velero and the download CLI then use that credential.
	scoped bool
	grants []s3policy.Grant
}

// scopedCredential creates cluster id's dedicated user, applies the fleet
// bucket policy of every scoped cluster so far, and returns the AWS
// credentials file for Velero and a Secret file for the CLI.
func (f *fixture) scopedCredential(t *testing.T, id, pfx string) (ini []byte, secretFile string) {
	t.Helper()
	ctx := context.Background()
	ak, sk := "velero-"+id, "scoped-secret-of-"+id
	testenv.Must(t, f.s3.CreateUser(ak, sk))
	f.grants = append(f.grants, s3policy.Grant{Target: s3policy.Target{Bucket: bucket, Prefix: pfx, ProjectID: projectID, ClusterID: id}, Principal: ak})
	doc, err := s3policy.BucketPolicy(f.grants...)
	testenv.Must(t, err)
	policy, err := doc.JSON()
	testenv.Must(t, err)
	root := f.s3.Client(f.s3.RootAccessKey, f.s3.RootSecretKey)
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(policy))}); err != nil {
		t.Fatalf("apply the generated bucket policy: %v\n%s", err, policy)
	}
	// The credential is confined: the bucket root is not listable.
	if _, err := f.s3.Client(ak, sk).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); err == nil {
		t.Fatalf("the scoped credential of %s lists the bucket root", id)
	}
	sec := f.secret.DeepCopy()
	sec.Name = "scoped-" + id
	sec.Data = map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(ak), kkpv1.CredentialSecretAccessKey: []byte(sk)}
	return []byte("[default]\naws_access_key_id=" + ak + "\naws_secret_access_key=" + sk + "\n"), f.write(t, "secret-"+id+".yaml", sec)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s3 := s3env.Start(t)
	if err := s3.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	f := &fixture{s3: s3, dir: t.TempDir()}
	f.cbsl, f.secret = s3env.Location(s3, "backups-eu", bucket, cbslPre, projectID)
	f.write(t, "cbsl.yaml", f.cbsl)
	f.write(t, "secret.yaml", f.secret)
	return f
}

func (f *fixture) write(t *testing.T, name string, obj any) string {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startCluster renders cluster id with the inline-credentials option, starts
// a control plane guarded by our webhook, applies the release as a GitOps
// tool would and starts Velero with the rendered credentials.
func (f *fixture) startCluster(t *testing.T, id string) *userCluster {
	t.Helper()
	ctx := context.Background()
	cluster := &kkpv1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: f.cbsl.Name}}},
	}
	in := renderer.Input{Cluster: cluster, CBSL: f.cbsl, Secret: f.secret}
	pfx, err := in.Prefix()
	if err != nil {
		t.Fatal(err)
	}
	r, err := renderer.New(renderer.Options{Credentials: renderer.CredentialsInline})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := res.Objects()
	if err != nil {
		t.Fatal(err)
	}

	uc := &userCluster{Cluster: usercluster.Start(t), id: id, prefix: pfx, cluster: cluster,
		files: map[string]string{"cluster": f.write(t, "cluster-"+id+".yaml", cluster), "cbsl": filepath.Join(f.dir, "cbsl.yaml"), "secret": filepath.Join(f.dir, "secret.yaml")}}
	uc.ConfigureWebhook(t, velerorules.Config{Managed: velerorules.Location{Bucket: bucket, Endpoint: f.s3.Endpoint, Prefix: pfx}})

	uc.apply(t, objs)
	var ini []byte
	for _, o := range objs {
		if o.GetKind() == "Secret" && o.GetNamespace() == veleroNS {
			ini = secretData(t, o, "cloud")
		}
	}
	if ini == nil {
		t.Fatal("the rendered release holds no credentials Secret with key cloud")
	}
	if f.scoped {
		ini, uc.files["secret"] = f.scopedCredential(t, id, pfx)
	}

	// Velero runs as its own service account, so the webhook sees its real identity.
	u, err := uc.Kube.Env.AddUser(envtest.User{Name: veleroSA, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:velero"}}, nil)
	testenv.Must(t, err)
	kc, err := u.KubeConfig()
	testenv.Must(t, err)
	uc.veleroOpts = veleroenv.Options{Kubeconfig: kc, Namespace: veleroNS, CredentialsFile: ini, Args: veleroenv.ServerArgs(t, objs)}
	uc.velero = veleroenv.Start(t, uc.veleroOpts)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("velero log of %s (tail):\n%s", id, testenv.Tail(uc.velero.Log(), 60))
		}
	})
	return uc
}

// restartVelero stops the cluster's Velero and starts it again with the
// same options, as a rollout of its Deployment would.
func (uc *userCluster) restartVelero(t *testing.T) {
	t.Helper()
	uc.velero.Stop()
	uc.velero = veleroenv.Start(t, uc.veleroOpts)
}

// apply applies every rendered object with server-side apply, as Argo CD or
// Flux would.
func (uc *userCluster) apply(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		o.SetManagedFields(nil)
		if err := uc.Admin.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("e2e-gitops"), client.ForceOwnership); err != nil {
			t.Fatalf("apply %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

func secretData(t *testing.T, o *unstructured.Unstructured, key string) []byte {
	t.Helper()
	var s corev1.Secret
	b, err := o.MarshalJSON()
	testenv.Must(t, err)
	testenv.Must(t, yaml.Unmarshal(b, &s))
	if v, ok := s.Data[key]; ok {
		return v
	}
	return []byte(s.StringData[key])
}

// isForbidden reports whether err is an admission denial.
func isForbidden(err error) bool { return apierrors.IsForbidden(err) || apierrors.IsInvalid(err) }
