package userclient

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// Clients builds and caches one client per user cluster from the admin
// kubeconfig Secrets on the seed. It is safe for concurrent use.
type Clients struct {
	reader client.Reader
	scheme *runtime.Scheme
	opts   Options

	mu      sync.Mutex
	entries map[string]*entry
	// tick orders the entries by last use (Options.MaxClients).
	tick uint64
	// evicted counts entries dropped for the bound.
	evicted uint64
}

// entry is one cluster's cached client.
type entry struct {
	digest [sha256.Size]byte
	used   uint64       // Clients.tick at the last For
	config *rest.Config // bounded; handed out as copies only
	http   *http.Client // the cluster's own connections
	client client.Client
}

// close closes the entry's idle connections. A caller still holding its
// client can go on using it: it dials again.
func (e *entry) close() { utilnet.CloseIdleConnectionsFor(e.http.Transport) }

// New returns Clients reading the kubeconfig Secrets through reader, which
// needs only get on them: pass a non-caching reader (a manager's
// GetAPIReader()), as a cached one would list and watch every Secret of the
// seed. scheme is the user clusters' scheme; nil means the built-in kinds,
// velero.io/v1 and apiextensions.k8s.io/v1. o is defaulted and validated
// here (Options.Default, Options.Validate).
func New(reader client.Reader, scheme *runtime.Scheme, o Options) (*Clients, error) {
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		return nil, fmt.Errorf("userclient options: %w", errs.ToAggregate())
	}
	if reader == nil {
		return nil, errors.New("userclient: nil reader")
	}
	if scheme == nil {
		scheme = defaultScheme()
	}
	return &Clients{reader: reader, scheme: scheme, opts: o, entries: map[string]*entry{}}, nil
}

// For returns a client of the user cluster clusterID. The client is cached
// until the Secret's kubeconfig changes (by its SHA-256 digest); every
// request it makes is bounded (Options) and runs with a discarding logger.
// Errors wrap ErrNoKubeconfig when the Secret or its key is missing (a
// cached client is dropped then) and ErrRefused when the kubeconfig is
// unsafe or unusable; they never hold the kubeconfig.
func (c *Clients) For(ctx context.Context, clusterID string) (client.Client, error) {
	e, err := c.entry(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	return e.client, nil
}

// RESTConfig returns a copy of the validated, bounded rest.Config of the
// user cluster clusterID, for callers that need a raw config (a clientset,
// a discovery client). The copy shares the cluster's rate limiter; clients
// built from it have connections of their own, which Forget does not close.
// Errors are those of For.
func (c *Clients) RESTConfig(ctx context.Context, clusterID string) (*rest.Config, error) {
	e, err := c.entry(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	return rest.CopyConfig(e.config), nil
}

// Forget drops the cached client of a cluster (deleted, or its backup
// disabled) and closes its idle connections.
func (c *Clients) Forget(clusterID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(clusterID)
}

// Len returns how many clients are cached.
func (c *Clients) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// entry returns the cached entry of clusterID if the Secret's kubeconfig is
// unchanged, or builds a new one.
func (c *Clients) entry(ctx context.Context, clusterID string) (*entry, error) {
	ns := c.opts.NamespacePrefix + clusterID
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return nil, fmt.Errorf("user cluster %q: namespace %q: %s", clusterID, ns, strings.Join(msgs, "; "))
	}
	src := fmt.Sprintf("secret %s/%s key %q", ns, c.opts.SecretName, c.opts.SecretKey)
	kc, err := c.kubeconfig(ctx, ns)
	if errors.Is(err, ErrNoKubeconfig) {
		c.Forget(clusterID)
	}
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(kc)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	if e, ok := c.entries[clusterID]; ok && e.digest == digest {
		e.used = c.tick
		return e, nil
	}
	// The kubeconfig is new or changed: the old client goes either way.
	c.dropLocked(clusterID)
	e, err := c.build(kc, src)
	if err != nil {
		return nil, fmt.Errorf("user cluster %s: %w", clusterID, err)
	}
	e.digest, e.used = digest, c.tick
	c.evictLocked()
	c.entries[clusterID] = e
	return e, nil
}

// evictLocked drops the least recently used entries until one more fits
// under Options.MaxClients (0: no bound); c.mu is held. An evicted
// cluster's next For builds its client again: one more kubeconfig parse
// and new connections (TLS handshake), nothing else (the kinds the loops
// use are mapped without discovery, mapper.go).
func (c *Clients) evictLocked() {
	for c.opts.MaxClients > 0 && len(c.entries) >= c.opts.MaxClients {
		oldest, at := "", uint64(0)
		for id, e := range c.entries {
			if oldest == "" || e.used < at {
				oldest, at = id, e.used
			}
		}
		c.dropLocked(oldest)
		c.evicted++
	}
}

// Evicted returns how many clients were dropped for Options.MaxClients.
func (c *Clients) Evicted() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evicted
}

// kubeconfig reads the kubeconfig bytes of the cluster whose seed namespace
// is ns.
func (c *Clients) kubeconfig(ctx context.Context, ns string) ([]byte, error) {
	var s corev1.Secret
	err := c.reader.Get(quiet(ctx), client.ObjectKey{Namespace: ns, Name: c.opts.SecretName}, &s)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("secret %s/%s not found: %w", ns, c.opts.SecretName, ErrNoKubeconfig)
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %s/%s: %w", ns, c.opts.SecretName, err)
	}
	kc := s.Data[c.opts.SecretKey]
	if len(kc) == 0 {
		return nil, fmt.Errorf("secret %s/%s has no key %q: %w", ns, c.opts.SecretName, c.opts.SecretKey, ErrNoKubeconfig)
	}
	return kc, nil
}

// build makes a bounded client from a kubeconfig read from src. It does no
// network I/O: discovery happens on the first request.
func (c *Clients) build(kc []byte, src string) (*entry, error) {
	cfg, err := parseKubeconfig(kc, src)
	if err != nil {
		return nil, err
	}
	bound(cfg, c.opts)
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("http client from %s: %w", src, err)
	}
	setIdleTimeout(hc.Transport, idleTimeout)
	// The cluster's own discovery is asked only for kinds outside the
	// shared static table (mapper.go); nothing is read before.
	dyn, err := apiutil.NewDynamicRESTMapper(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("rest mapper from %s: %w", src, err)
	}
	cl, err := client.NewWithWatch(cfg, client.Options{Scheme: c.scheme, HTTPClient: hc, Mapper: fallbackMapper{static: staticMapper(), dynamic: dyn}})
	if err != nil {
		return nil, fmt.Errorf("client from %s: %w", src, err)
	}
	return &entry{config: cfg, http: hc, client: &quietClient{cl}}, nil
}

// dropLocked removes the entry of clusterID, if any; c.mu is held.
func (c *Clients) dropLocked(clusterID string) {
	if e, ok := c.entries[clusterID]; ok {
		e.close()
		delete(c.entries, clusterID)
	}
}
