package s3check

import (
	"context"
	"net/http"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
)

// ClientOptions configure a Client beyond the Checker's options.
type ClientOptions struct {
	// MaxResponseBytes bounds every response body the client reads
	// (s3client.Options.MaxResponseBytes). Default 0: the Checker's
	// MaxResponseBytes (1 MiB unless set).
	MaxResponseBytes int64
	// Wrap, when set, wraps the client's transport, for example to count
	// requests. It sees requests only after the endpoint policy allowed the
	// destination. Default none.
	Wrap func(http.RoundTripper) http.RoundTripper
}

// Client is the guarded S3 client of the storage core (s3client.Client).
type Client = s3client.Client

// Client returns a guarded S3 client (s3client.New) for the target with
// the Checker's policy, resolver, attempts and budget, path-style addressing
// (as every check is made). No request is made. A refused or unresolvable
// endpoint is an *Error with its class (EndpointDenied, DNS, InvalidTarget).
func (c *Checker) Client(ctx context.Context, t Target, o ClientOptions) (*Client, error) {
	loc := t.Location
	loc.PathStyle = true
	return s3client.New(ctx, loc, c.clientOptions(o))
}

// clientOptions are the s3client options of the Checker's clients.
func (c *Checker) clientOptions(o ClientOptions) s3client.Options {
	maxBody := o.MaxResponseBytes
	if maxBody <= 0 {
		maxBody = c.opts.MaxResponseBytes
	}
	return s3client.Options{
		Policy:           c.opts.Policy,
		Resolver:         c.opts.Resolver,
		InterfaceAddrs:   c.opts.InterfaceAddrs,
		MaxResponseBytes: maxBody,
		MaxAttempts:      c.opts.MaxAttempts,
		Budget:           c.opts.Budget.Duration,
		Wrap:             o.Wrap,
	}
}
