package s3client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// ErrResponseTooLarge matches (errors.Is) every *ResponseTooLargeError.
var ErrResponseTooLarge = errors.New("response body exceeds the size limit")

// Client is an S3 client for one storage location with every guard of this
// module: the location's own static credentials only, a transport that dials
// only the addresses the Policy allowed (resolved once), the location's CA,
// no proxy and no redirects, bounded response bodies and bounded SDK
// retries. Close it when done.
type Client struct {
	// S3 is the SDK client.
	S3 *s3.Client
	d  describe
	tr interface{ CloseIdleConnections() }
}

// describe is what messages say about the client's requests.
type describe struct {
	endpoint, host, port string
	loc                  storage.Location
	budget               string
}

// New resolves the location's endpoint host once, checks every address
// against the policy and returns a client that dials only those addresses.
// No request is made. A refused or unresolvable endpoint is an *Error with
// its class (EndpointDenied, DNS, InvalidTarget). With loc.PathStyle false
// the bucket is addressed as a virtual host (bucket.host), which is then the
// host resolved and checked; a bucket name with a dot is always addressed
// by path, as TLS certificates do not cover it, and so is a bucket on an IP
// address.
func New(ctx context.Context, loc storage.Location, o Options) (*Client, error) {
	o = o.withDefaults()
	if loc.Bucket == "" {
		return nil, &Error{Class: ClassInvalid, Message: "no bucket given"}
	}
	if loc.Credentials.AccessKeyID == "" || loc.Credentials.SecretAccessKey == "" {
		return nil, &Error{Class: ClassInvalid, Message: "no static credentials given (access key ID and secret access key)"}
	}
	u, host, port, err := hostPort(loc)
	if err != nil {
		return nil, &Error{Class: ClassInvalid, Message: err.Error()}
	}
	_, ipErr := netip.ParseAddr(host)
	pathStyle := loc.PathStyle || strings.Contains(loc.Bucket, ".") || ipErr == nil
	d := describe{endpoint: u.Scheme + "://" + net.JoinHostPort(host, port), host: host, port: port, loc: loc}
	if o.Budget > 0 {
		d.budget = o.Budget.String()
	}
	dialHost := host
	if !pathStyle {
		dialHost = loc.Bucket + "." + host
	}
	pol, err := o.policy()
	if err != nil {
		return nil, &Error{Class: ClassPolicy, Message: err.Error()}
	}
	addrs, err := resolve(ctx, o.Resolver, pol, dialHost)
	if err != nil {
		return nil, d.classify(err)
	}
	hc, tr, err := newHTTPClient(dialHost, port, addrs, loc.CACert, loc.InsecureSkipTLSVerify, o)
	if err != nil {
		return nil, err
	}
	if o.Wrap != nil {
		hc.Transport = o.Wrap(hc.Transport)
	}
	backoff := o.maxBackoff()
	client := s3.New(s3.Options{
		Region:       loc.SigningRegion(),
		BaseEndpoint: aws.String(loc.BaseURL()),
		UsePathStyle: pathStyle,
		// Only the location's own static credentials: no environment, shared
		// config, IMDS or ECS provider is ever consulted.
		Credentials: credentials.NewStaticCredentialsProvider(loc.Credentials.AccessKeyID, loc.Credentials.SecretAccessKey, loc.Credentials.SessionToken),
		HTTPClient:  hc,
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = o.MaxAttempts
			if backoff > 0 {
				so.MaxBackoff = backoff
			}
			so.RateLimiter = ratelimit.None
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		// Checksums only where S3 requires them (S3-compatible servers
		// differ in what they support); a download checks the length.
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return &Client{S3: client, d: d, tr: tr}, nil
}

// Endpoint is the endpoint as messages show it: scheme://host:port.
func (cl *Client) Endpoint() string { return cl.d.endpoint }

// Classify turns an error of one of the client's requests into an *Error
// with the failure class, the S3 error code and HTTP status when there was
// an answer, and a message without secrets or response bodies.
func (cl *Client) Classify(err error) *Error { return cl.d.classify(err) }

// Close releases the client's idle connections.
func (cl *Client) Close() { cl.tr.CloseIdleConnections() }

// awsRegion matches AWS region names; only such a region may become part of
// an AWS endpoint host name.
var awsRegion = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// hostPort parses the location's base URL into host and port.
func hostPort(loc storage.Location) (u *url.URL, host, port string, err error) {
	if loc.Endpoint == "" && !awsRegion.MatchString(loc.SigningRegion()) {
		return nil, "", "", fmt.Errorf("region %q is not an AWS region name", loc.SigningRegion())
	}
	u, err = url.Parse(loc.BaseURL())
	if err != nil {
		return nil, "", "", fmt.Errorf("endpoint is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, "", "", fmt.Errorf("endpoint scheme must be http or https, not %q", u.Scheme)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, "", "", fmt.Errorf("endpoint must not carry user info, a query or a fragment")
	}
	host, port = u.Hostname(), u.Port()
	if host == "" {
		return nil, "", "", fmt.Errorf("endpoint has no host")
	}
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return u, host, port, nil
}
