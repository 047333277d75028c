package process

import (
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// Scheme knows the kinds both long-running commands read and write: the
// built-in ones, Velero's and KKP's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, velerov1.AddToScheme, kkpv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err) // static registration; cannot fail at run time
		}
	}
	return s
}

// Manager returns controller-runtime's manager options for s: Scheme, the
// health, metrics and pprof endpoints and the graceful shutdown timeout.
// The caller adds what is its own (cache, webhook server, leader election).
func (s *Serving) Manager() manager.Options {
	return manager.Options{
		Scheme:                  Scheme(),
		HealthProbeBindAddress:  BindAddress(s.HealthAddr),
		PprofBindAddress:        s.PprofAddr,
		Metrics:                 metricsserver.Options{BindAddress: s.MetricsAddr},
		GracefulShutdownTimeout: &s.ShutdownTimeout.Duration,
	}
}
