package download

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// Client reads the backups of one cluster: a bucket and the cluster's prefix.
type Client struct {
	s3      *s3.Client
	presign *s3.PresignClient
	opts    Options
	bucket  string
	prefix  string
}

// New returns a client for the backups under prefix in bucket. It builds the
// S3 client from opts only (static credentials, its own HTTP transport) and
// makes no request.
func New(opts Options, bucket, prefix string) (*Client, error) {
	opts = opts.withDefaults()
	if opts.Credentials.AccessKeyID == "" || opts.Credentials.SecretAccessKey == "" {
		return nil, errors.New("credentials need an access key ID and a secret access key")
	}
	if bucket == "" || prefix == "" {
		return nil, errors.New("bucket and prefix are required")
	}
	hc, err := httpClient(opts)
	if err != nil {
		return nil, err
	}
	so := s3.Options{
		Region:       opts.Region,
		UsePathStyle: opts.PathStyle,
		Credentials:  credentials.NewStaticCredentialsProvider(opts.Credentials.AccessKeyID, opts.Credentials.SecretAccessKey, opts.Credentials.SessionToken),
		HTTPClient:   hc,
	}
	if opts.Endpoint != "" {
		so.BaseEndpoint = aws.String(opts.Endpoint)
	}
	c := s3.New(so)
	return &Client{s3: c, presign: s3.NewPresignClient(c), opts: opts, bucket: bucket, prefix: prefix}, nil
}

// httpClient returns a client with its own transport: CA from the options,
// bounded connect/handshake/header waits, and no redirects (an S3 endpoint
// that redirects is misconfigured, and following it could leak a request to
// another host).
func httpClient(o Options) (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipTLSVerify} //nolint:gosec // opt-in, Velero's insecureSkipTLSVerify
	if len(o.CACert) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(o.CACert) {
			return nil, errors.New("spec.objectStorage.caCert: holds no PEM certificate")
		}
		tlsCfg.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:        tlsCfg,
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: s3check.DefaultMaxHeaderBytes,
	}
	return &http.Client{
		// Listings and error documents are bounded like the check's; only
		// the tarball itself streams (s3check.WithStreamedBody in ToFile).
		Transport:     s3check.LimitResponses(tr, s3check.DefaultMaxResponseBytes),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// ValidateBackupName checks a backup name: Velero backups are Kubernetes
// objects, so the name is a DNS subdomain — which also keeps it one safe key
// segment.
func ValidateBackupName(name string) error {
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return fmt.Errorf("backup name %q: %s", name, msgs[0])
	}
	return nil
}

// BackupsDir returns Velero's backups folder under a cluster prefix, with a
// trailing "/".
func BackupsDir(prefix string) string { return path.Join(prefix, "backups") + "/" }

// Key returns the object key of a backup's tarball in Velero's layout:
// <prefix>/backups/<name>/<name>.tar.gz.
func Key(prefix, backup string) string {
	return BackupsDir(prefix) + backup + "/" + backup + ".tar.gz"
}

// Key returns the tarball key of a backup of this client's cluster.
func (c *Client) Key(backup string) string { return Key(c.prefix, backup) }

func (c *Client) location(key string) string { return "s3://" + c.bucket + "/" + key }
