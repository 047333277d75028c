package s3client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Resolver looks up a host's addresses; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// resolve returns the addresses of host after the policy check: an IP literal
// as is, a name resolved exactly once. Any denied address denies the host, so
// a name cannot smuggle a metadata address in beside a public one.
func resolve(ctx context.Context, r Resolver, p Policy, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a.Unmap()}
	} else {
		found, err := r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		for _, a := range found {
			addrs = append(addrs, a.Unmap())
		}
	}
	for _, a := range addrs {
		if err := p.Check(host, a); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// errUnexpectedHost guards the pinned dialer: with no redirects, the SDK
// only ever dials the host the client resolved.
var errUnexpectedHost = errors.New("refusing to dial a host other than the checked endpoint")

// newHTTPClient builds a client of its own: it dials only the
// already-checked addresses of host (so a second DNS answer cannot change the
// destination), verifies TLS against the system roots plus caPEM with
// ServerName = host, never follows redirects and never uses a proxy (not
// even one the environment names), bounds connect, handshake and header waits
// by o.Timeout when set, and bounds every response body to
// o.MaxResponseBytes (LimitResponses). The process-wide
// http.DefaultTransport is not touched. A caPEM without a certificate is an
// *Error (ClassInvalid).
func newHTTPClient(host, port string, addrs []netip.Addr, caPEM []byte, insecure bool, o Options) (*http.Client, *http.Transport, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if len(caPEM) > 0 {
		roots = roots.Clone()
		if !roots.AppendCertsFromPEM(caPEM) {
			return nil, nil, &Error{Class: ClassInvalid, Message: "spec.objectStorage.caCert: holds no PEM certificate"}
		}
	}
	d := &net.Dialer{KeepAlive: -1, Timeout: o.Timeout}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			h, p, err := net.SplitHostPort(addr)
			if err != nil || h != host || p != port {
				return nil, errUnexpectedHost
			}
			var last error
			for _, a := range addrs {
				c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
				if err == nil {
					return c, nil
				}
				last = err
			}
			return nil, last
		},
		TLSClientConfig: &tls.Config{
			ServerName:         host,
			RootCAs:            roots,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: insecure, //nolint:gosec // only when the location itself asks for it, as the AWS plugin does
		},
		ForceAttemptHTTP2:      false,
		MaxIdleConns:           2,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        5 * time.Second,
		DisableCompression:     true,
		TLSHandshakeTimeout:    o.Timeout, // 0: the caller's context bounds everything
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: DefaultMaxHeaderBytes,
	}
	return &http.Client{
		Transport:     LimitResponses(tr, o.MaxResponseBytes),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr, nil
}
