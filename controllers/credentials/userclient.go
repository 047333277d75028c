package credentials

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ErrNoKubeconfig says the seed holds no admin kubeconfig for a cluster
// (yet): KKP writes it once the control plane is up.
var ErrNoKubeconfig = fmt.Errorf("no admin kubeconfig")

// UserClients builds clients for user clusters from the admin kubeconfig
// Secrets on the seed, and reuses a client until its kubeconfig changes.
type UserClients struct {
	// Reader reads the kubeconfig Secrets (get only: RBAC may name them by
	// resourceNames across namespaces).
	Reader client.Reader
	// Secret and Key name the kubeconfig Secret and its key; NamespacePrefix
	// + cluster ID is its namespace.
	Secret, Key, NamespacePrefix string
	// Timeout bounds every request of a built client.
	Timeout time.Duration

	mu    sync.Mutex
	cache map[string]cachedClient
}

type cachedClient struct {
	digest [32]byte
	c      client.Client
}

// userScheme knows the built-in kinds and Velero's.
var userScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, velerov1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err) // static registration
		}
	}
	return s
}()

// For returns a client of the user cluster clusterID. The error wraps
// ErrNoKubeconfig when the Secret or its key is missing, and never holds
// the kubeconfig.
func (u *UserClients) For(ctx context.Context, clusterID string) (client.Client, error) {
	ns := u.NamespacePrefix + clusterID
	var s corev1.Secret
	err := u.Reader.Get(quiet(ctx), client.ObjectKey{Namespace: ns, Name: u.Secret}, &s)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("secret %s/%s: %w", ns, u.Secret, ErrNoKubeconfig)
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %s/%s: %w", ns, u.Secret, err)
	}
	kc := s.Data[u.Key]
	if len(kc) == 0 {
		return nil, fmt.Errorf("secret %s/%s has no key %q: %w", ns, u.Secret, u.Key, ErrNoKubeconfig)
	}
	digest := sha256.Sum256(kc)
	u.mu.Lock()
	defer u.mu.Unlock()
	if c, ok := u.cache[clusterID]; ok && c.digest == digest {
		return c.c, nil
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		// clientcmd's errors name files and fields, not credentials.
		return nil, fmt.Errorf("secret %s/%s key %q is not a usable kubeconfig: %w", ns, u.Secret, u.Key, err)
	}
	cfg.Timeout = u.Timeout
	cfg.UserAgent = "clusterbackup-credentials"
	c, err := client.New(cfg, client.Options{Scheme: userScheme})
	if err != nil {
		return nil, fmt.Errorf("client for user cluster %s: %w", clusterID, err)
	}
	if u.cache == nil {
		u.cache = map[string]cachedClient{}
	}
	u.cache[clusterID] = cachedClient{digest: digest, c: c}
	return c, nil
}

// Forget drops the cached client of a cluster (it was deleted).
func (u *UserClients) Forget(clusterID string) {
	u.mu.Lock()
	delete(u.cache, clusterID)
	u.mu.Unlock()
}

// quiet returns ctx with a discarding logger: client-go's debug logging
// (verbosity ≥ 8) dumps response bodies, which hold Secret data.
func quiet(ctx context.Context) context.Context { return logr.NewContext(ctx, logr.Discard()) }
