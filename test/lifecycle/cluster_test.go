package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/test/usercluster"
)

// The cluster under test.
const (
	veleroNS  = "velero"
	projectID = "jnpllgp66z"
	clusterID = "r7tqz9d2wk"
	endpoint  = "https://s3.eu.example.com"
	bucket    = "kkp-backups"
)

// cluster is a user cluster's control plane with our webhook in front.
type cluster struct{ *usercluster.Cluster }

func startCluster(t *testing.T) *cluster { return &cluster{usercluster.Start(t)} }

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
		testenv.Must(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &old))
		live := &apiextv1.CustomResourceDefinition{}
		testenv.Must(t, c.Root.Get(ctx, client.ObjectKey{Name: old.Name}, live))
		live.Spec, live.Labels, live.Annotations = old.Spec, old.Labels, old.Annotations
		testenv.Must(t, c.Root.Update(ctx, live))
	}
}

func (c *cluster) crd(t *testing.T, name string) *apiextv1.CustomResourceDefinition {
	t.Helper()
	crd := &apiextv1.CustomResourceDefinition{}
	testenv.Must(t, c.Root.Get(context.Background(), client.ObjectKey{Name: name}, crd))
	return crd
}

func (c *cluster) bsl(t *testing.T, name string) *velerov1.BackupStorageLocation {
	t.Helper()
	b := &velerov1.BackupStorageLocation{}
	testenv.Must(t, c.Root.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: name}, b))
	return b
}

// backups returns the Backups' UIDs by name.
func (c *cluster) backups(t *testing.T) map[string]string {
	t.Helper()
	var l velerov1.BackupList
	testenv.Must(t, c.Root.List(context.Background(), &l, client.InNamespace(veleroNS)))
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
	testenv.Must(t, c.Root.List(context.Background(), &l, client.InNamespace(veleroNS)))
	var b bytes.Buffer
	for _, o := range l.Items {
		j, err := o.MarshalJSON()
		testenv.Must(t, err)
		fmt.Fprintf(&b, "---\n%s\n", j)
	}
	p := filepath.Join(dir, "backups.yaml")
	testenv.Must(t, os.WriteFile(p, b.Bytes(), 0o600))
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
	testenv.Must(t, err)
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
	return testenv.RunBinary(t, append([]string{"diff"}, args...)...)
}

func containsAll(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}
