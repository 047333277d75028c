package s3client

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"time"
)

// Defaults of Options.
const (
	// DefaultMaxAttempts bounds the SDK's attempts per request.
	DefaultMaxAttempts = 3
)

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	// Policy decides which endpoint addresses may be dialled. Default: deny
	// loopback, link-local, metadata, unspecified and multicast addresses
	// and the host's own interface addresses; private ranges are allowed.
	Policy Policy
	// Resolver resolves endpoint hosts. Default net.DefaultResolver.
	Resolver Resolver
	// InterfaceAddrs lists the host's own addresses, which the policy denies
	// (Policy.Own). It is called for every New, so addresses added later are
	// denied too; an error fails closed. Default net.InterfaceAddrs.
	InterfaceAddrs func() ([]net.Addr, error)
	// MaxResponseBytes bounds every response body the client reads (S3 XML
	// listings and error documents included): reading past it fails with a
	// *ResponseTooLargeError (errors.Is ErrResponseTooLarge), so a hostile
	// endpoint cannot make the caller buffer without limit. Only 2xx answers
	// to requests marked WithStreamedBody pass with their declared length.
	// Default DefaultMaxResponseBytes (1 MiB).
	MaxResponseBytes int64
	// MaxAttempts bounds the SDK's attempts per request. Default 3.
	MaxAttempts int
	// Budget is the caller's time limit of one use of the client (the
	// caller's context enforces it): the SDK's backoff between attempts is
	// at most a tenth of it, and timeouts are reported against it. Default
	// none (the SDK's backoff; "in time" in messages).
	Budget time.Duration
	// Timeout bounds connecting, the TLS handshake and waiting for response
	// headers, for callers whose context may run long (a download). Default
	// none: the caller's context bounds everything.
	Timeout time.Duration
	// Wrap, when set, wraps the client's transport, for example to count
	// requests. It sees requests only after the policy allowed the
	// destination. Default none.
	Wrap func(http.RoundTripper) http.RoundTripper
}

func (o Options) withDefaults() Options {
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.InterfaceAddrs == nil {
		o.InterfaceAddrs = net.InterfaceAddrs
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	return o
}

// maxBackoff is the longest wait between two SDK attempts: a tenth of the
// Budget, 0 (the SDK's own) without one.
func (o Options) maxBackoff() time.Duration { return o.Budget / 10 }

// policy returns the address policy of one client: Options.Policy with the
// host's current interface addresses as Own.
func (o Options) policy() (Policy, error) {
	addrs, err := o.InterfaceAddrs()
	if err != nil {
		return Policy{}, fmt.Errorf("list this host's interface addresses: %w", err)
	}
	p := o.Policy
	p.Own = slices.Clone(p.Own)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				p.Own = append(p.Own, ip.Unmap())
			}
		}
	}
	return p, nil
}
