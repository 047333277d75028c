package userclient

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults of Options.
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

// Options configure Clients. Zero values take the defaults.
type Options struct {
	// SecretName names the kubeconfig Secret in each cluster's seed
	// namespace (default DefaultSecretName).
	SecretName string
	// SecretKey is the Secret's key holding the kubeconfig (default
	// DefaultSecretKey).
	SecretKey string
	// NamespacePrefix + cluster ID is the Secret's namespace (default
	// DefaultNamespacePrefix).
	NamespacePrefix string
	// Timeout bounds every request, reading the body included (default
	// DefaultTimeout).
	Timeout time.Duration
	// MaxBodyBytes bounds every response body, counted after
	// decompression (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// QPS is each cluster's sustained request rate (default DefaultQPS).
	QPS float32
	// Burst is each cluster's request burst (default DefaultBurst).
	Burst int
	// UserAgent is sent with every request (default DefaultUserAgent).
	UserAgent string
	// MaxClients bounds how many user-cluster clients are cached; the least
	// recently used goes first. 0 (the default) caches one per cluster.
	MaxClients int
}

// Complete returns o with defaults filled, and an error for values that
// cannot work: negative or non-finite numbers, names Kubernetes would not
// accept.
func (o Options) Complete() (Options, error) {
	if o.SecretName == "" {
		o.SecretName = DefaultSecretName
	}
	if o.SecretKey == "" {
		o.SecretKey = DefaultSecretKey
	}
	if o.NamespacePrefix == "" {
		o.NamespacePrefix = DefaultNamespacePrefix
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
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

	var errs []error
	invalid := func(what string, msgs []string) {
		if len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s: %s", what, strings.Join(msgs, "; ")))
		}
	}
	invalid(fmt.Sprintf("secret name %q", o.SecretName), validation.IsDNS1123Subdomain(o.SecretName))
	invalid(fmt.Sprintf("secret key %q", o.SecretKey), validation.IsConfigMapKey(o.SecretKey))
	// The prefix must leave room for a cluster ID in a namespace name.
	invalid(fmt.Sprintf("namespace prefix %q", o.NamespacePrefix), validation.IsDNS1123Label(o.NamespacePrefix+"x"))
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", o.Timeout))
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max body bytes %d is negative", o.MaxBodyBytes))
	}
	if q := float64(o.QPS); q < 0 || math.IsNaN(q) || math.IsInf(q, 0) {
		errs = append(errs, fmt.Errorf("qps %v is not a positive finite number", o.QPS))
	}
	if o.Burst < 0 {
		errs = append(errs, fmt.Errorf("burst %d is negative", o.Burst))
	}
	if o.MaxClients < 0 {
		errs = append(errs, fmt.Errorf("max clients %d is negative", o.MaxClients))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("userclient options: %w", err)
	}
	return o, nil
}
