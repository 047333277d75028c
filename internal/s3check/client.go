package s3check

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// listings included): reading past it fails with ErrResponseTooLarge,
	// so a hostile endpoint cannot make the caller buffer without limit.
	// Default 0: not bounded (the check's own requests have tiny answers).
	MaxResponseBytes int64
	// Wrap, when set, wraps the client's transport, for example to count
	// requests. It sees requests only after the endpoint policy allowed the
	// destination. Default none.
	Wrap func(http.RoundTripper) http.RoundTripper
}

// ErrResponseTooLarge is returned when a response body exceeds
// ClientOptions.MaxResponseBytes.
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
	addrs, err := resolve(ctx, c.opts.Resolver, c.opts.Policy, host)
	if err != nil {
		f := classify(err, p)
		return nil, &Error{Class: f.class, Message: f.msg}
	}
	hc, tr := newHTTPClient(host, port, addrs, t.CACert, t.InsecureSkipTLSVerify)
	var rt http.RoundTripper = tr
	if o.MaxResponseBytes > 0 {
		rt = limitBodies{rt, o.MaxResponseBytes}
	}
	if o.Wrap != nil {
		rt = o.Wrap(rt)
	}
	hc.Transport = rt
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
	if errors.Is(err, ErrResponseTooLarge) {
		return &Error{Class: ClassHTTP, Message: fmt.Sprintf("unexpected answer from %s: %v", cl.p.endpoint, ErrResponseTooLarge)}
	}
	f := classify(err, cl.p)
	return &Error{Class: f.class, Message: f.msg}
}

// Close releases the client's idle connections.
func (cl *Client) Close() { cl.tr.CloseIdleConnections() }

// limitBodies fails reads of response bodies past max bytes.
type limitBodies struct {
	next http.RoundTripper
	max  int64
}

func (l limitBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > l.max {
		resp.Body.Close()
		return nil, ErrResponseTooLarge
	}
	resp.Body = &limitedBody{rc: resp.Body, left: l.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
