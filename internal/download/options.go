// Package download fetches a Velero backup tarball from a cluster's prefix,
// streamed into a file that appears only when complete, or hands out a
// presigned GET URL for it, like Velero's own 10-minute download URLs.
//
// The S3 client is built from the storage location alone: static credentials
// from its Secret, endpoint, region, path style and CA from its spec. Nothing
// is read from the environment (no shared config, no instance metadata), and
// no error carries a secret or an S3 response body.
package download

import (
	"fmt"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// DefaultRegion is used when a location names no region.
const DefaultRegion = storage.DefaultRegion

// DefaultTimeout bounds connecting, the TLS handshake and waiting for response
// headers; a download itself may take as long as the context allows.
const DefaultTimeout = 30 * time.Second

// Options configure a Client.
type Options struct {
	// Endpoint is the S3 URL (spec.config.s3Url). Empty means AWS S3.
	Endpoint string
	// Region is the signing region. Default DefaultRegion.
	Region string
	// PathStyle selects path-style addressing (bucket in the path, not the
	// host name).
	PathStyle bool
	// CACert is PEM of extra CAs trusted for the endpoint (added to the system
	// pool). Empty means the system pool only.
	CACert []byte
	// InsecureSkipTLSVerify disables certificate checks (Velero's
	// insecureSkipTLSVerify config key). Default false.
	InsecureSkipTLSVerify bool
	// Credentials are the static credentials to sign with; required.
	Credentials creds.Static
	// Timeout bounds connect, TLS handshake and response headers. Default
	// DefaultTimeout.
	Timeout time.Duration
}

// OptionsFrom returns the client options for a resolved storage location
// (storage.Resolve): its endpoint, region, path style, CA and TLS setting
// and its own static credentials.
func OptionsFrom(l storage.Location) Options {
	return Options{
		Endpoint:              l.Endpoint,
		Region:                l.Region,
		PathStyle:             l.PathStyle,
		CACert:                l.CACert,
		InsecureSkipTLSVerify: l.InsecureSkipTLSVerify,
		Credentials:           l.Credentials,
	}
}

// withDefaults fills the documented defaults.
func (o Options) withDefaults() Options {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// endpointName is how errors name the endpoint.
func (o Options) endpointName() string {
	if o.Endpoint == "" {
		return fmt.Sprintf("AWS S3 (%s)", o.Region)
	}
	return o.Endpoint
}
