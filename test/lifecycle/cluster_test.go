package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/webhook/server"
	"github.com/clusterbackup/clusterbackup/webhook/user"
	"github.com/clusterbackup/clusterbackup/webhook/velero"
)

// Identities and the cluster under test.
const (
	applier   = "system:serviceaccount:argocd:argocd-application-controller"
	owner     = "alice" // a cluster-admin of the user cluster
	veleroNS  = "velero"
	projectID = "jnpllgp66z"
	clusterID = "r7tqz9d2wk"
	endpoint  = "https://s3.eu.example.com"
	bucket    = "kkp-backups"
)

// cluster is a user cluster's control plane with our webhook in front.
type cluster struct {
	kube *testenv.Kube
	// root is the control plane's admin, with the apiextensions types.
	root        client.Client
	admin, user client.Client
	stopWebhook func()
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	mwc, vwc := user.Configurations(user.ConfigurationOptions{ServiceNamespace: "x", ServiceName: "x"})
	k := testenv.StartKube(t, testenv.KubeOptions{Webhooks: envtest.WebhookInstallOptions{
		MutatingWebhooks:   []*admissionregv1.MutatingWebhookConfiguration{mwc},
		ValidatingWebhooks: []*admissionregv1.ValidatingWebhookConfiguration{vwc},
	}})
	ctx := context.Background()
	must(t, k.Client.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "lifecycle-people"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{
			{Kind: "User", APIGroup: rbacv1.GroupName, Name: applier},
			{Kind: "User", APIGroup: rbacv1.GroupName, Name: owner},
		},
	}))
	admin, err := k.ClientAs(applier)
	must(t, err)
	u, err := k.ClientAs(owner)
	must(t, err)
	sch := testenv.Scheme()
	must(t, apiextv1.AddToScheme(sch))
	root, err := client.New(k.Config, client.Options{Scheme: sch})
	must(t, err)
	c := &cluster{kube: k, root: root, admin: admin, user: u}
	t.Cleanup(func() {
		if c.stopWebhook != nil {
			c.stopWebhook()
		}
	})
	return c
}

// configureWebhook (re)starts our user-mode webhook with cfg, as a
// redeploy with a new configuration would.
func (c *cluster) configureWebhook(t *testing.T, cfg velero.Config) {
	t.Helper()
	if c.stopWebhook != nil {
		c.stopWebhook()
	}
	ctx, cancel := context.WithCancel(context.Background())
	wo := c.kube.Env.WebhookInstallOptions
	cfg.ManagedBSLEditors = []string{applier}
	mgr, err := server.New(ctx, c.kube.Config, server.Options{
		Host: wo.LocalServingHost, Port: wo.LocalServingPort, CertDir: wo.LocalServingCertDir,
		HealthAddr: "0", MetricsAddr: "0", Velero: cfg,
		ShutdownTimeout: metav1.Duration{Duration: time.Second},
	})
	must(t, err)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	c.stopWebhook = func() { cancel(); <-done }
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("webhook cache did not sync")
	}
}

// installPreviousCRDs puts the previous pinned pair's CRDs in place of the
// ones testenv installed (the current pair), by replacing each whole CRD
// (an update, not an apply, so no field of the newer CRD survives); no
// Velero object exists yet.
func (c *cluster) installPreviousCRDs(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		var old apiextv1.CustomResourceDefinition
		must(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &old))
		live := &apiextv1.CustomResourceDefinition{}
		must(t, c.root.Get(ctx, client.ObjectKey{Name: old.Name}, live))
		live.Spec, live.Labels, live.Annotations = old.Spec, old.Labels, old.Annotations
		must(t, c.root.Update(ctx, live))
	}
}

func (c *cluster) crd(t *testing.T, name string) *apiextv1.CustomResourceDefinition {
	t.Helper()
	crd := &apiextv1.CustomResourceDefinition{}
	must(t, c.root.Get(context.Background(), client.ObjectKey{Name: name}, crd))
	return crd
}

func (c *cluster) bsl(t *testing.T, name string) *velerov1.BackupStorageLocation {
	t.Helper()
	b := &velerov1.BackupStorageLocation{}
	must(t, c.root.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: name}, b))
	return b
}

// backups returns the Backups' UIDs by name.
func (c *cluster) backups(t *testing.T) map[string]string {
	t.Helper()
	var l velerov1.BackupList
	must(t, c.root.List(context.Background(), &l, client.InNamespace(veleroNS)))
	out := map[string]string{}
	for _, b := range l.Items {
		out[b.Name] = string(b.UID)
	}
	return out
}

// backupsFile writes the cluster's Backups as a List for `diff --backups`.
func (c *cluster) backupsFile(t *testing.T, dir string) string {
	t.Helper()
	var l unstructured.UnstructuredList
	l.SetAPIVersion("velero.io/v1")
	l.SetKind("BackupList")
	must(t, c.root.List(context.Background(), &l, client.InNamespace(veleroNS)))
	var b bytes.Buffer
	for _, o := range l.Items {
		j, err := o.MarshalJSON()
		must(t, err)
		fmt.Fprintf(&b, "---\n%s\n", j)
	}
	p := filepath.Join(dir, "backups.yaml")
	must(t, os.WriteFile(p, b.Bytes(), 0o600))
	return p
}

func exists(t *testing.T, c client.Client, apiVersion, kind, ns, name string) bool {
	t.Helper()
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, o)
	if apierrors.IsNotFound(err) {
		return false
	}
	must(t, err)
	return o.GetDeletionTimestamp() == nil
}

// cbsl returns a CBSL of the project on the test bucket with a prefix.
func cbsl(name, pfx string) *kkpv1.ClusterBackupStorageLocation {
	return &kkpv1.ClusterBackupStorageLocation{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: "ClusterBackupStorageLocation"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kubermatic", Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: pfx}},
			Config:      map[string]string{"region": "eu-central-1", "s3Url": endpoint, "s3ForcePathStyle": "true"},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name + "-credentials"}, Key: "cloud"},
		},
	}
}

func input(c *kkpv1.ClusterBackupStorageLocation) renderer.Input {
	return renderer.Input{
		Cluster: &kkpv1.Cluster{
			TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: "Cluster"},
			ObjectMeta: metav1.ObjectMeta{Name: clusterID, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
			Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: c.Name}}},
		},
		CBSL: c,
	}
}

// diffCLI runs `clusterbackup diff` and returns stdout, stderr and the exit code.
func diffCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(testenv.Binary(t), append([]string{"diff"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func containsAll(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}
