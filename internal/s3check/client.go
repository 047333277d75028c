package s3check

import (
	"context"
	"errors"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ClientOptions configure a Client beyond the Checker's options.
type ClientOptions struct {
	// MaxResponseBytes bounds every response body the client reads (S3 XML
	// listings included): reading past it fails with a
	// *ResponseTooLargeError (errors.Is ErrResponseTooLarge), so a hostile
	// endpoint cannot make the caller buffer without limit. Default 0: the
	// Checker's MaxResponseBytes (1 MiB unless set).
	MaxResponseBytes int64
	// Wrap, when set, wraps the client's transport, for example to count
	// requests. It sees requests only after the endpoint policy allowed the
	// destination. Default none.
	Wrap func(http.RoundTripper) http.RoundTripper
}

// ErrResponseTooLarge matches (errors.Is) every *ResponseTooLargeError.
var ErrResponseTooLarge = errors.New("response body exceeds the size limit")

// Client is an S3 client for one Target with everything a check has: the
// target's own static credentials, path-style addressing, a transport that
// dials only the addresses the Policy allowed (resolved once), the target's
// CA, no proxy and no redirects, and SDK retries bounded by the Checker's
// MaxAttempts and Budget. Close it when done.
type Client struct {
	// S3 is the SDK client.
	S3 *s3.Client
	p  probe
	tr *http.Transport
}

// Client resolves the target's endpoint host once, checks every address
// against the policy and returns a client that dials only those addresses.
// No request is made. A refused or unresolvable endpoint is an *Error with
// its class (EndpointDenied, DNS, InvalidTarget).
func (c *Checker) Client(ctx context.Context, t Target, o ClientOptions) (*Client, error) {
	if t.Bucket == "" {
		return nil, &Error{Class: ClassInvalid, Message: "no bucket given"}
	}
	if t.Credentials.AccessKeyID == "" || t.Credentials.SecretAccessKey == "" {
		return nil, &Error{Class: ClassInvalid, Message: "no static credentials given (access key ID and secret access key)"}
	}
	u, host, port, err := t.hostPort()
	if err != nil {
		return nil, &Error{Class: ClassInvalid, Message: err.Error()}
	}
	p := probe{endpoint: display(u, host, port), host: host, port: port, t: t, budget: c.opts.Budget.String()}
	pol, err := c.policy()
	if err != nil {
		return nil, &Error{Class: ClassPolicy, Message: err.Error()}
	}
	addrs, err := resolve(ctx, c.opts.Resolver, pol, host)
	if err != nil {
		f := classify(err, p)
		return nil, &Error{Class: f.class, Message: f.msg}
	}
	maxBody := o.MaxResponseBytes
	if maxBody <= 0 {
		maxBody = c.opts.MaxResponseBytes
	}
	hc, tr := newHTTPClient(host, port, addrs, t.CACert, t.InsecureSkipTLSVerify, maxBody)
	if o.Wrap != nil {
		hc.Transport = o.Wrap(hc.Transport)
	}
	client := s3.New(s3.Options{
		Region:       t.region(),
		BaseEndpoint: aws.String(t.endpoint()),
		UsePathStyle: true,
		// Only the location's own static credentials: no environment, shared
		// config, IMDS or ECS provider is ever consulted.
		Credentials: credentials.NewStaticCredentialsProvider(t.Credentials.AccessKeyID, t.Credentials.SecretAccessKey, t.Credentials.SessionToken),
		HTTPClient:  hc,
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = c.opts.MaxAttempts
			so.MaxBackoff = c.opts.Budget / 10
			so.RateLimiter = ratelimit.None
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return &Client{S3: client, p: p, tr: tr}, nil
}

// Endpoint is the endpoint as messages show it: scheme://host:port.
func (cl *Client) Endpoint() string { return cl.p.endpoint }

// Classify turns an error of one of the client's requests into an *Error
// with the failure class and a message without secrets or response bodies
// (the messages of the reachability check).
func (cl *Client) Classify(err error) *Error {
	f := classify(err, cl.p)
	return &Error{Class: f.class, Message: f.msg}
}

// Close releases the client's idle connections.
func (cl *Client) Close() { cl.tr.CloseIdleConnections() }
