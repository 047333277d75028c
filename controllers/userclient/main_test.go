package userclient

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// One kube-apiserver + etcd serves the whole package, started by the first
// test that needs it: it is the seed holding the kubeconfig Secrets and the
// user cluster the good kubeconfigs point at.
var (
	kubeOnce sync.Once
	kube     *kubeenv.ControlPlane
	kubeErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if kube != nil {
		if err := kube.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop kube-apiserver:", err)
		}
	}
	os.Exit(code)
}

// sharedKube returns the package's API server; a missing tool fails t.
func sharedKube(t *testing.T) *kubeenv.ControlPlane {
	t.Helper()
	kubeOnce.Do(func() { kube, kubeErr = kubeenv.New(kubeenv.Options{}) })
	if kubeErr != nil {
		t.Fatal(kubeErr)
	}
	return kube
}

// userKubeconfig returns an inline-data kubeconfig (client certificate) of
// a new system:masters user of the shared API server.
func userKubeconfig(t *testing.T, name string) []byte {
	t.Helper()
	u, err := sharedKube(t).Env.AddUser(envtest.User{Name: name, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := u.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// putSecret creates or replaces the Secret ns/name (and its namespace) on
// the seed.
func putSecret(t *testing.T, ns, name string, data map[string][]byte) {
	t.Helper()
	c := sharedKube(t).Client
	ctx := context.Background()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	err := c.Create(ctx, s)
	if apierrors.IsAlreadyExists(err) {
		err = c.Update(ctx, s)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// putKubeconfig stores kc as the admin kubeconfig of cluster id.
func putKubeconfig(t *testing.T, id string, kc []byte) {
	t.Helper()
	putSecret(t, DefaultNamespacePrefix+id, DefaultSecretName, map[string][]byte{DefaultSecretKey: kc})
}

// newClients returns Clients reading the shared API server's Secrets.
func newClients(t *testing.T, o Options) *Clients {
	t.Helper()
	c, err := New(sharedKube(t).Client, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
