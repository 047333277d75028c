package kubeenv

import (
	"fmt"
	"path/filepath"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	velerov2alpha1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v2alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Scheme knows the built-in types, Velero's and ours.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, velerov1.AddToScheme, velerov2alpha1.AddToScheme, kkpv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// CRDDirs are the CRD folders every control plane gets: Velero's (generated
// into the chart) and ours.
func CRDDirs() []string {
	root := testenv.RepoRoot()
	return []string{
		filepath.Join(root, "charts", "velero-managed", "crds"),
		filepath.Join(root, "api", "v1", "crds"),
	}
}

// Options configure a control plane.
type Options struct {
	// Webhooks registers webhook configurations; envtest rewrites their client
	// config to a local URL on LocalServingHost/Port and injects its CA.
	Webhooks envtest.WebhookInstallOptions
	// APIServerArgs are extra kube-apiserver flags (name -> values).
	APIServerArgs map[string][]string
	// EtcdArgs are extra etcd flags (name -> values).
	EtcdArgs map[string][]string
	// CRDDirs are the CRD folders installed. Default (nil) CRDDirs(): Velero's
	// and ours; a control plane that must start without Velero's CRDs names
	// only the folders it wants.
	CRDDirs []string
}

// ControlPlane is a running kube-apiserver + etcd with CRDs installed.
type ControlPlane struct {
	Env    *envtest.Environment
	Config *rest.Config
	Client client.Client
}

// Start starts a control plane and stops it when the test ends.
func Start(t testenv.TB, opts Options) *ControlPlane {
	t.Helper()
	k, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Stop() })
	return k
}

// New starts a control plane; the caller stops it (for TestMain).
func New(opts Options) (*ControlPlane, error) {
	assets, err := envtestAssets()
	if err != nil {
		return nil, err
	}
	crdDirs := opts.CRDDirs
	if crdDirs == nil {
		crdDirs = CRDDirs()
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        crdDirs,
		ErrorIfCRDPathMissing:    true,
		Scheme:                   Scheme(),
		WebhookInstallOptions:    opts.Webhooks,
		ControlPlaneStartTimeout: 60 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	api := env.ControlPlane.GetAPIServer()
	for k, vs := range opts.APIServerArgs {
		api.Configure().Set(k, vs...)
	}
	if len(opts.EtcdArgs) > 0 {
		env.ControlPlane.Etcd = &envtest.Etcd{}
		for k, vs := range opts.EtcdArgs {
			env.ControlPlane.Etcd.Configure().Set(k, vs...)
		}
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start kube-apiserver + etcd from %s: %w", assets, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &ControlPlane{Env: env, Config: cfg, Client: c}, nil
}

// Stop stops the control plane.
func (k *ControlPlane) Stop() error { return k.Env.Stop() }

// ClientAs returns a client that authenticates as the given user and groups,
// the way a service account or a person would reach the API server.
func (k *ControlPlane) ClientAs(user string, groups ...string) (client.Client, error) {
	u, err := k.Env.AddUser(envtest.User{Name: user, Groups: groups}, nil)
	if err != nil {
		return nil, err
	}
	return client.New(u.Config(), client.Options{Scheme: k.Env.Scheme})
}

// WarningClientAs is ClientAs for tests of admission answers: the client
// records the warnings it receives, and has no client-side rate limit
// (client-go's 5 requests/s would pace a burst).
func (k *ControlPlane) WarningClientAs(user string, groups ...string) (client.Client, *Warnings, error) {
	u, err := k.Env.AddUser(envtest.User{Name: user, Groups: groups}, nil)
	if err != nil {
		return nil, nil, err
	}
	w := &Warnings{}
	cfg := rest.CopyConfig(u.Config())
	cfg.WarningHandlerWithContext = w
	cfg.QPS, cfg.Burst = -1, 0
	c, err := client.New(cfg, client.Options{Scheme: k.Env.Scheme})
	return c, w, err
}
