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
	"net/url"
	"strconv"
	"time"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DefaultRegion is used when a location names no region (AWS's default
// partition answers there).
const DefaultRegion = "us-east-1"

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

// OptionsFor derives client options from a storage location's spec and the
// credentials read from its Secret: endpoint from config.s3Url, region from
// config.region, path style from config.s3ForcePathStyle (default true when
// s3Url is set), CA from spec.objectStorage.caCert.
func OptionsFor(loc *kkpv1.ClusterBackupStorageLocation, c creds.Static) (Options, field.ErrorList) {
	cfg := field.NewPath("spec", "config")
	o := Options{
		Endpoint:    loc.Spec.Config["s3Url"],
		Region:      loc.Spec.Config["region"],
		Credentials: c,
	}
	var errs field.ErrorList
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(cfg.Key("s3Url"), o.Endpoint, "must be a URL"))
		case u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, field.Invalid(cfg.Key("s3Url"), o.Endpoint, "must be an http or https URL"))
		case u.Host == "":
			errs = append(errs, field.Invalid(cfg.Key("s3Url"), o.Endpoint, "must name a host"))
		case u.User != nil:
			errs = append(errs, field.Invalid(cfg.Key("s3Url"), u.Redacted(), "must not carry user information"))
		}
	}
	o.PathStyle = o.Endpoint != ""
	if v, ok := loc.Spec.Config["s3ForcePathStyle"]; ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, field.Invalid(cfg.Key("s3ForcePathStyle"), v, "must be \"true\" or \"false\""))
		}
		o.PathStyle = b
	}
	if v, ok := loc.Spec.Config["insecureSkipTLSVerify"]; ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, field.Invalid(cfg.Key("insecureSkipTLSVerify"), v, "must be \"true\" or \"false\""))
		}
		o.InsecureSkipTLSVerify = b
	}
	if loc.Spec.ObjectStorage != nil {
		o.CACert = loc.Spec.ObjectStorage.CACert
	}
	return o, errs
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
