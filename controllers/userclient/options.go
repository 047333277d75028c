package userclient

import (
	"math"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Options, set by Options.Default.
const (
	// DefaultSecretName is the kubeconfig Secret KKP's own seed controllers
	// use (user kubermatic-controllers, system:masters): it points at the
	// API server's address inside the seed, which a seed pod reaches under
	// every expose strategy. KKP also writes admin-kubeconfig with the
	// external address; the name is configurable (Options.SecretName).
	DefaultSecretName = "internal-admin-kubeconfig"
	// DefaultSecretKey is the key of the kubeconfig in the Secret.
	DefaultSecretKey = "kubeconfig"
	// DefaultNamespacePrefix + cluster ID is the seed namespace of a cluster.
	DefaultNamespacePrefix = "cluster-"
	// DefaultTimeout bounds every request, body included.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBodyBytes bounds every response body.
	DefaultMaxBodyBytes = 16 << 20
	// DefaultQPS is the sustained request rate per cluster.
	DefaultQPS = 20
	// DefaultBurst is the request burst per cluster.
	DefaultBurst = 40
	// DefaultUserAgent is the User-Agent of every request.
	DefaultUserAgent = "clusterbackup-controllers"
)

// Options configure Clients (the controllers' config file's users section).
// Zero values take the defaults (Default).
type Options struct {
	// SecretName names the kubeconfig Secret in each cluster's seed
	// namespace (default DefaultSecretName).
	SecretName string `json:"secretName,omitempty"`
	// SecretKey is the Secret's key holding the kubeconfig (default
	// DefaultSecretKey).
	SecretKey string `json:"secretKey,omitempty"`
	// NamespacePrefix + cluster ID is the Secret's namespace (default
	// DefaultNamespacePrefix).
	NamespacePrefix string `json:"namespacePrefix,omitempty"`
	// Timeout bounds every request, reading the body included ("10s"; a
	// number is nanoseconds). Default DefaultTimeout.
	Timeout duration.Duration `json:"timeout,omitempty"`
	// MaxBodyBytes bounds every response body, counted after
	// decompression (default DefaultMaxBodyBytes).
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
	// QPS is each cluster's sustained request rate (default DefaultQPS).
	QPS float32 `json:"qps,omitempty"`
	// Burst is each cluster's request burst (default DefaultBurst).
	Burst int `json:"burst,omitempty"`
	// UserAgent is sent with every request (default DefaultUserAgent).
	UserAgent string `json:"userAgent,omitempty"`
	// MaxClients bounds how many user-cluster clients are cached; the least
	// recently used goes first. 0 (the default) caches one per cluster.
	MaxClients int `json:"maxClients,omitempty"`
}

// Default fills every unset field with its default. Default is idempotent.
func (o *Options) Default() {
	if o.SecretName == "" {
		o.SecretName = DefaultSecretName
	}
	if o.SecretKey == "" {
		o.SecretKey = DefaultSecretKey
	}
	if o.NamespacePrefix == "" {
		o.NamespacePrefix = DefaultNamespacePrefix
	}
	if o.Timeout.Duration == 0 {
		o.Timeout.Duration = DefaultTimeout
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.QPS == 0 {
		o.QPS = DefaultQPS
	}
	if o.Burst == 0 {
		o.Burst = DefaultBurst
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
}

// Validate checks defaulted options and returns every value that cannot
// work, named under fp as in the configuration file (e.g. users.timeout):
// negative or non-finite numbers, names Kubernetes would not accept.
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	invalid := func(name string, v any, msgs []string) {
		if len(msgs) > 0 {
			errs = append(errs, field.Invalid(fp.Child(name), v, strings.Join(msgs, "; ")))
		}
	}
	invalid("secretName", o.SecretName, validation.IsDNS1123Subdomain(o.SecretName))
	invalid("secretKey", o.SecretKey, validation.IsConfigMapKey(o.SecretKey))
	// The prefix must leave room for a cluster ID in a namespace name.
	invalid("namespacePrefix", o.NamespacePrefix, validation.IsDNS1123Label(o.NamespacePrefix+"x"))
	if o.Timeout.Duration < 0 {
		errs = append(errs, field.Invalid(fp.Child("timeout"), o.Timeout.String(), "must not be negative"))
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, field.Invalid(fp.Child("maxBodyBytes"), o.MaxBodyBytes, "must not be negative"))
	}
	if q := float64(o.QPS); q < 0 || math.IsNaN(q) || math.IsInf(q, 0) {
		errs = append(errs, field.Invalid(fp.Child("qps"), q, "must be a positive finite number"))
	}
	if o.Burst < 0 {
		errs = append(errs, field.Invalid(fp.Child("burst"), o.Burst, "must not be negative"))
	}
	if o.MaxClients < 0 {
		errs = append(errs, field.Invalid(fp.Child("maxClients"), o.MaxClients, "must not be negative"))
	}
	return errs
}
