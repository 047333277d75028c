package kubeenv_test

import (
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func client(o ctrlclient.Object) ctrlclient.ObjectKey { return ctrlclient.ObjectKeyFromObject(o) }

func restClient(k *kubeenv.ControlPlane) (*rest.RESTClient, error) {
	cfg := rest.CopyConfig(k.Config)
	cfg.GroupVersion = &metav1.SchemeGroupVersion
	cfg.APIPath = "/apis"
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme.Scheme).WithoutConversion()
	return rest.RESTClientFor(cfg)
}

func discoveryClient(k *kubeenv.ControlPlane) (*discovery.DiscoveryClient, error) {
	return discovery.NewDiscoveryClientForConfig(k.Config)
}

// waitTLS waits until the webhook server accepts TLS connections.
func waitTLS(t testenv.TB, srv webhook.Server) {
	t.Helper()
	opts := srv.(*webhook.DefaultServer).Options
	testenv.WaitTLS(t, net.JoinHostPort(opts.Host, fmt.Sprint(opts.Port)))
}
