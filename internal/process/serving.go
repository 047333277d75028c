// Package process holds what every long-running clusterbackup command (the
// webhook and the seed controllers) configures the same way: where it serves
// health probes, metrics and Go's profiles, and how long it may take to stop.
// Each command's typed configuration embeds Serving, so the fields sit at the
// top level of its --config file and their defaults are written once, here.
package process

import (
	"flag"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Serving, set by Default.
const (
	// DefaultHealthAddr serves /healthz and /readyz.
	DefaultHealthAddr = ":8081"
	// DefaultMetricsAddr serves Prometheus /metrics.
	DefaultMetricsAddr = ":8080"
	// DefaultShutdownTimeout bounds how long work in flight may finish after
	// a stop signal, under a Pod's default 30s grace period.
	DefaultShutdownTimeout = 25 * time.Second
)

// Off is the address value that turns an endpoint off.
const Off = "0"

// Serving is where a process serves its probes, metrics and profiles, and
// how long it may take to stop. Zero values take
// the defaults named on each field (Default).
type Serving struct {
	// HealthAddr serves /healthz and /readyz. Default DefaultHealthAddr;
	// Off ("0") disables.
	HealthAddr string `json:"healthAddr,omitempty"`
	// MetricsAddr serves Prometheus metrics on /metrics. Default
	// DefaultMetricsAddr; Off ("0") disables.
	MetricsAddr string `json:"metricsAddr,omitempty"`
	// PprofAddr serves Go's net/http/pprof profiles. Default "" (off); bind
	// it to localhost.
	PprofAddr string `json:"pprofAddr,omitempty"`
	// ShutdownTimeout bounds how long work in flight may finish after a stop
	// signal ("25s"; a number is nanoseconds). Default
	// DefaultShutdownTimeout.
	ShutdownTimeout duration.Duration `json:"shutdownTimeout,omitempty"`
}

// Default fills the fields left zero. It is idempotent.
func (o *Serving) Default() {
	if o.HealthAddr == "" {
		o.HealthAddr = DefaultHealthAddr
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = DefaultMetricsAddr
	}
	if o.ShutdownTimeout.Duration == 0 {
		o.ShutdownTimeout.Duration = DefaultShutdownTimeout
	}
}

// Validate checks defaulted options; the fields are named from path (nil:
// the top level of a configuration file).
func (o *Serving) Validate(path *field.Path) field.ErrorList {
	if o.ShutdownTimeout.Duration < 0 {
		return field.ErrorList{field.Invalid(path.Child("shutdownTimeout"), o.ShutdownTimeout.String(), "must not be negative")}
	}
	return nil
}

// AddFlags binds the options to flags, each showing the value o holds
// (defaulted first, so --help shows the defaults). inFlight says what the
// shutdown timeout lets finish, e.g. "in-flight reviews".
func (o *Serving) AddFlags(fs *flag.FlagSet, inFlight string) {
	fs.StringVar(&o.HealthAddr, "health-addr", o.HealthAddr, `address for /healthz and /readyz ("0" disables)`)
	fs.StringVar(&o.MetricsAddr, "metrics-addr", o.MetricsAddr, `address for Prometheus /metrics ("0" disables)`)
	fs.StringVar(&o.PprofAddr, "pprof-addr", o.PprofAddr, "address for Go's pprof profiles, e.g. 127.0.0.1:6060 (default off)")
	fs.DurationVar(&o.ShutdownTimeout.Duration, "shutdown-timeout", o.ShutdownTimeout.Duration, "how long "+inFlight+" may finish after SIGTERM")
}

// BindAddress returns addr as controller-runtime takes a bind address: Off
// becomes "", which it reads as disabled.
func BindAddress(addr string) string {
	if addr == Off {
		return ""
	}
	return addr
}
