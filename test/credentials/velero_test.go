package credentials

import (
	"context"
	"errors"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/veleroenv"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/test/usercluster"
)

// render renders the cluster's release with the default options (the
// credentials Secret is referenced, not rendered) and checks that it holds
// no Secret at all: the keys come from the seed's loop.
func render(t *testing.T, c *kkpv1.Cluster, loc *kkpv1.ClusterBackupStorageLocation) ([]*unstructured.Unstructured, string) {
	t.Helper()
	r, err := renderer.New(renderer.Options{})
	testenv.Must(t, err)
	in := renderer.Input{Cluster: c, CBSL: loc}
	pfx, err := in.Prefix()
	testenv.Must(t, err)
	res, err := r.Render(context.Background(), in)
	testenv.Must(t, err)
	objs, err := res.Objects()
	testenv.Must(t, err)
	for _, o := range objs {
		if o.GetKind() == "Secret" {
			t.Fatalf("the default render holds Secret %s/%s; credentials must come from the seed", o.GetNamespace(), o.GetName())
		}
	}
	return objs, pfx
}

// apply applies every object with server-side apply, as Argo CD or Flux
// would, as the GitOps applier.
func apply(t *testing.T, uc *usercluster.Cluster, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		o.SetManagedFields(nil)
		if err := uc.Admin.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("gitops"), client.ForceOwnership); err != nil {
			t.Fatalf("apply %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

// startVelero runs the real Velero server against the user cluster as its
// service account, with the rendered server flags and the delivered
// credentials file as the mounted file (AWS_SHARED_CREDENTIALS_FILE).
func startVelero(t *testing.T, uc *usercluster.Cluster, objs []*unstructured.Unstructured, ini []byte) *veleroenv.Server {
	t.Helper()
	u, err := uc.Kube.Env.AddUser(envtest.User{Name: usercluster.Velero, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:velero"}}, nil)
	testenv.Must(t, err)
	kc, err := u.KubeConfig()
	testenv.Must(t, err)
	v := veleroenv.Start(t, veleroenv.Options{Kubeconfig: kc, Namespace: veleroNS, CredentialsFile: ini, Args: veleroenv.ServerArgs(t, objs)})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("velero log (tail):\n%s", testenv.Tail(v.Log(), 60))
		}
	})
	return v
}

func waitBSLAvailable(t *testing.T, uc *usercluster.Cluster, v *veleroenv.Server) {
	t.Helper()
	testenv.Eventually(t, 90*time.Second, "BSL default Available", func() (bool, error) {
		if v.Exited() {
			t.Fatalf("velero server exited:\n%s", testenv.Tail(v.Log(), 40))
		}
		var bsl velerov1.BackupStorageLocation
		if err := uc.User.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: "default"}, &bsl); err != nil {
			return false, err
		}
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, errors.New("phase " + string(bsl.Status.Phase) + " " + bsl.Status.Message)
	})
}

// backup creates a Backup of namespace shop and waits until it completes.
func backup(t *testing.T, uc *usercluster.Cluster, name string) {
	t.Helper()
	testenv.Must(t, uc.User.Create(context.Background(), &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: veleroNS},
		Spec:       velerov1.BackupSpec{IncludedNamespaces: []string{"shop"}},
	}))
	testenv.Eventually(t, 90*time.Second, "backup "+name+" Completed", func() (bool, error) {
		var b velerov1.Backup
		if err := uc.User.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: name}, &b); err != nil {
			return false, err
		}
		switch b.Status.Phase {
		case velerov1.BackupPhaseFailed, velerov1.BackupPhaseFailedValidation, velerov1.BackupPhasePartiallyFailed:
			t.Fatalf("backup %s ended %s: %v %s", name, b.Status.Phase, b.Status.ValidationErrors, b.Status.FailureReason)
		}
		return b.Status.Phase == velerov1.BackupPhaseCompleted, errors.New("phase " + string(b.Status.Phase))
	})
}
