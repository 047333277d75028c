package s3check

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// DefaultRegion is used when a target names no region.
const DefaultRegion = "us-east-1"

// Target is one storage location to check.
type Target struct {
	// Endpoint is the S3 URL (Velero's config.s3Url). Empty means AWS S3 in
	// Region.
	Endpoint string
	// Region signs the requests. Default DefaultRegion.
	Region string
	// Bucket and Prefix locate the storage; Prefix may be empty (bucket root).
	Bucket, Prefix string
	// CACert holds PEM certificates trusted in addition to the system roots.
	CACert []byte
	// InsecureSkipTLSVerify mirrors the AWS plugin's option of that name.
	InsecureSkipTLSVerify bool
	// Credentials are the location's own static credentials.
	Credentials creds.Static
	// ProbeIsolation also lists the bucket root and a sibling of Prefix; when
	// either works the result carries a "credential is not isolated" warning.
	ProbeIsolation bool
}

// key identifies a target in the cache. It holds no secret: the credential
// and the CA enter only as digests.
func (t Target) key() string {
	ca := sha256.Sum256(t.CACert)
	return strings.Join([]string{
		storage.CanonicalEndpoint(t.endpoint()), t.region(), t.Bucket, prefix.Normalize(t.Prefix),
		t.Credentials.Hash(), hex.EncodeToString(ca[:8]),
		fmt.Sprint(t.InsecureSkipTLSVerify, t.ProbeIsolation),
	}, "\x00")
}

func (t Target) region() string {
	if t.Region == "" {
		return DefaultRegion
	}
	return t.Region
}

// endpoint returns the S3 base URL: Endpoint, or AWS's regional endpoint.
func (t Target) endpoint() string {
	if t.Endpoint != "" {
		return strings.TrimSuffix(t.Endpoint, "/")
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(t.region(), "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://s3." + t.region() + "." + domain
}

// listPrefix is the ListObjectsV2 prefix of the location: "p/" or "".
func (t Target) listPrefix() string {
	if p := prefix.Normalize(t.Prefix); p != "" {
		return p + "/"
	}
	return ""
}

// awsRegion matches AWS region names; only such a region may become part of
// an AWS endpoint host name.
var awsRegion = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// hostPort parses the endpoint into host and port.
func (t Target) hostPort() (u *url.URL, host, port string, err error) {
	if t.Endpoint == "" && !awsRegion.MatchString(t.region()) {
		return nil, "", "", fmt.Errorf("region %q is not an AWS region name", t.region())
	}
	u, err = url.Parse(t.endpoint())
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

// display is the endpoint as shown in messages: scheme://host:port.
func display(u *url.URL, host, port string) string {
	return u.Scheme + "://" + net.JoinHostPort(host, port)
}

// TargetFrom returns the target that checks a resolved storage location
// (storage.Resolve) with its own credentials and CA.
func TargetFrom(l storage.Location) Target {
	return Target{
		Endpoint:              l.Endpoint,
		Region:                l.Region,
		Bucket:                l.Bucket,
		Prefix:                l.Prefix,
		CACert:                l.CACert,
		InsecureSkipTLSVerify: l.InsecureSkipTLSVerify,
		Credentials:           l.Credentials,
	}
}
