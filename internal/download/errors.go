package download

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// Error classes; test with errors.Is.
var (
	// ErrNotFound: the backup's tarball does not exist (a *MissingBackupError).
	ErrNotFound = errors.New("backup not found")
	// ErrAccessDenied: the endpoint refused the credentials or the request (403).
	ErrAccessDenied = errors.New("access denied")
	// ErrCredentialsRejected: the endpoint refused the credentials themselves
	// (unknown access key, wrong secret); such errors are ErrAccessDenied too.
	ErrCredentialsRejected = errors.New("credentials rejected")
	// ErrUnreachable: no answer from the endpoint (DNS, connect, TLS, timeout).
	ErrUnreachable = errors.New("endpoint unreachable")
)

// credentialCodes are S3 error codes meaning the credentials themselves were
// refused, not a permission.
var credentialCodes = map[string]bool{
	"SignatureDoesNotMatch": true,
	"InvalidAccessKeyId":    true,
	"InvalidClientTokenId":  true,
	"InvalidToken":          true,
	"ExpiredToken":          true,
}

// MissingBackupError reports a backup whose tarball is not there, with the
// first few backups that are.
type MissingBackupError struct {
	// Backup is the name asked for; Location the tarball's s3:// URL.
	Backup, Location string
	// Dir is the backups folder that was listed.
	Dir string
	// Existing holds the first backup names under Dir; More is set when
	// there are further ones.
	Existing []string
	More     bool
	// ListErr is set when listing Dir failed.
	ListErr error
}

// Error names the backup, the missing object and what exists instead.
func (e *MissingBackupError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backup %q not found: no object %s", e.Backup, e.Location)
	switch {
	case e.ListErr != nil:
		fmt.Fprintf(&b, "; listing %s failed too: %v", e.Dir, e.ListErr)
	case len(e.Existing) == 0:
		fmt.Fprintf(&b, "; there are no backups under %s", e.Dir)
	default:
		for _, n := range e.Existing {
			if n == e.Backup {
				fmt.Fprintf(&b, "; the backup's folder exists but holds no tarball (still in progress, or failed)")
				return b.String()
			}
		}
		fmt.Fprintf(&b, "; backups under %s: %s", e.Dir, strings.Join(e.Existing, ", "))
		if e.More {
			b.WriteString(", …")
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *MissingBackupError) Is(target error) bool { return target == ErrNotFound }

// classify turns an SDK error into a message that names the operation, the
// object and the class, and never holds a secret or an S3 response body
// (the API error's message comes from the body; only its code is used).
func (c *Client) classify(op, key string, err error) error {
	where := c.location(key)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if ctxErr := contextErr(err); ctxErr != nil {
			return fmt.Errorf("%s %s: %w", op, where, ctxErr)
		}
	}
	if netErr := networkCause(err); netErr != "" {
		return fmt.Errorf("%s %s: %w: %s: %s", op, where, ErrUnreachable, c.opts.endpointName(), netErr)
	}
	var big *s3check.ResponseTooLargeError
	if errors.As(err, &big) {
		return fmt.Errorf("%s %s: %s: %w", op, where, c.opts.endpointName(), big)
	}
	var (
		code   string
		status int
		ae     smithy.APIError
		re     *awshttp.ResponseError
	)
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	ak := c.opts.Credentials.AccessKeyID
	switch {
	case credentialCodes[code]:
		return fmt.Errorf("%s %s: %w, %w: the endpoint refused access key %q (%s): check accessKeyId and secretAccessKey in the Secret", op, where, ErrAccessDenied, ErrCredentialsRejected, ak, codeOr(code, status))
	case status == http.StatusForbidden || code == "AccessDenied" || code == "Forbidden":
		return fmt.Errorf("%s %s: %w (HTTP 403) for access key %q: the secret is wrong or the credential is not allowed on this prefix", op, where, ErrAccessDenied, ak)
	case code == "NoSuchBucket":
		return fmt.Errorf("%s %s: bucket %q does not exist at %s", op, where, c.bucket, c.opts.endpointName())
	case status == http.StatusNotFound || code == "NoSuchKey" || code == "NotFound":
		return fmt.Errorf("%s %s: %w", op, where, ErrNotFound)
	case status == http.StatusMovedPermanently || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed":
		return fmt.Errorf("%s %s: the bucket is not in region %q (%s): set spec.config.region of the storage location", op, where, c.opts.Region, codeOr(code, status))
	case code != "" || status != 0:
		return fmt.Errorf("%s %s: S3 error %s", op, where, codeOr(code, status))
	}
	return fmt.Errorf("%s %s: %w", op, where, err)
}

func codeOr(code string, status int) string {
	switch {
	case code != "" && status != 0:
		return fmt.Sprintf("HTTP %d, %s", status, code)
	case code != "":
		return code
	}
	return fmt.Sprintf("HTTP %d", status)
}

func contextErr(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	return nil
}

// networkCause returns the innermost network or TLS failure of err, or "".
// These messages name addresses, never request URLs or bodies.
func networkCause(err error) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		opErr   *net.OpError
		tmo     interface{ Timeout() bool }
	)
	switch {
	case errors.As(err, &dnsErr):
		return "DNS: " + dnsErr.Error()
	case errors.As(err, &certErr):
		return "TLS: " + certErr.Err.Error() + " (set spec.objectStorage.caCert to the endpoint's CA)"
	case errors.As(err, &uaErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return "TLS: certificate not trusted (set spec.objectStorage.caCert to the endpoint's CA)"
	case errors.As(err, &recErr):
		return "TLS: the endpoint does not speak TLS (is s3Url https:// on a plain-HTTP port?)"
	case errors.As(err, &opErr):
		return opErr.Error()
	case errors.As(err, &tmo) && tmo.Timeout():
		return "timed out waiting for the endpoint"
	}
	return ""
}
