package s3client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Class names a kind of check outcome.
type Class string

// Outcome classes. Every failure class has its own message.
const (
	ClassOK           Class = "OK"
	ClassInvalid      Class = "InvalidTarget"
	ClassPolicy       Class = "EndpointDenied"
	ClassDNS          Class = "DNS"
	ClassRefused      Class = "ConnectionRefused"
	ClassConnect      Class = "ConnectFailed"
	ClassTimeout      Class = "Timeout"
	ClassTLS          Class = "TLS"
	ClassAccessDenied Class = "AccessDenied"
	ClassNoSuchBucket Class = "NoSuchBucket"
	ClassNoSuchKey    Class = "NoSuchKey"
	ClassWrongRegion  Class = "WrongRegion"
	ClassHTTP         Class = "UnexpectedResponse"
)

// Error is a classified failure: its class, the S3 error code (only a safe
// identifier) and HTTP status when the endpoint answered, and a message
// without secrets, the access key ID or response bodies (messages reach
// admission answers and CBSL status).
type Error struct {
	// Class is the failure class.
	Class Class
	// Message says what failed, in one line.
	Message string
	// Code is the S3 error code of the answer ("NoSuchKey"), or "".
	Code string
	// Status is the HTTP status of the answer, 0 when none arrived.
	Status int
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// credentialCodes are S3 error codes meaning the credentials themselves were
// refused (unknown access key, wrong secret, bad token), not a permission.
var credentialCodes = map[string]bool{
	"SignatureDoesNotMatch": true,
	"InvalidAccessKeyId":    true,
	"InvalidClientTokenId":  true,
	"InvalidToken":          true,
	"ExpiredToken":          true,
}

// CredentialsRejected reports whether the endpoint refused the credentials
// themselves rather than a permission (then Class is AccessDenied).
func (e *Error) CredentialsRejected() bool { return credentialCodes[e.Code] }

// safeCode admits S3 error codes (short identifiers) and nothing else from a
// response body.
var safeCode = regexp.MustCompile(`^[A-Za-z0-9.]{1,64}$`)

type apiError interface{ ErrorCode() string }

// classify turns an error of the S3 client (or of resolving) into an
// *Error. It reads only error types, status codes, S3 error codes and the
// x-amz-bucket-region header; never a response body.
func (p describe) classify(err error) *Error {
	e := p.class(err)
	e.Status, _ = statusOf(err)
	var api apiError
	if errors.As(err, &api) && safeCode.MatchString(api.ErrorCode()) {
		e.Code = api.ErrorCode()
	}
	return e
}

// failure builds an *Error of a class.
func failure(c Class, msg string) *Error { return &Error{Class: c, Message: msg} }

// class finds the class and message of err.
func (p describe) class(err error) *Error {
	var (
		pe   *PolicyError
		big  *ResponseTooLargeError
		dns  *net.DNSError
		ua   x509.UnknownAuthorityError
		hn   x509.HostnameError
		ci   x509.CertificateInvalidError
		rh   tls.RecordHeaderError
		ne   net.Error
		code string
		api  apiError
	)
	if errors.As(err, &api) && safeCode.MatchString(api.ErrorCode()) {
		code = api.ErrorCode()
	}
	status, region := statusOf(err)
	hostport := net.JoinHostPort(p.host, p.port)
	switch {
	case errors.As(err, &pe):
		return failure(ClassPolicy, pe.Error())
	case errors.As(err, &big):
		return failure(ClassHTTP, fmt.Sprintf("answer from %s is larger than %d bytes; the check stopped reading it (not an S3 endpoint, or a hostile one)", p.endpoint, big.Limit))
	case errors.As(err, &dns):
		what := "DNS lookup failed"
		switch {
		case dns.IsNotFound:
			what = "no such host"
		case dns.IsTimeout:
			what = "DNS lookup timed out"
		}
		return failure(ClassDNS, fmt.Sprintf("cannot resolve endpoint host %q: %s", p.host, what))
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure(ClassRefused, fmt.Sprintf("connection to %s refused: nothing listens there", hostport))
	case errors.As(err, &ua):
		return failure(ClassTLS, fmt.Sprintf("TLS certificate of %s is signed by an unknown authority; put the endpoint's CA into spec.objectStorage.caCert", hostport))
	case errors.As(err, &hn):
		return failure(ClassTLS, fmt.Sprintf("TLS certificate of %s is not valid for host %q", hostport, p.host))
	case errors.As(err, &ci):
		return failure(ClassTLS, fmt.Sprintf("TLS certificate of %s is invalid (expired or not yet valid, or not for server use)", hostport))
	case errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return failure(ClassTLS, fmt.Sprintf("%s does not speak TLS; use an http:// endpoint or fix the port", hostport))
	case status == 0 && (errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())):
		if p.budget == "" {
			return failure(ClassTimeout, fmt.Sprintf("no answer from %s in time", hostport))
		}
		return failure(ClassTimeout, fmt.Sprintf("no answer from %s within the %s budget", hostport, p.budget))
	case status == 0 && errors.Is(err, syscall.ECONNRESET):
		return failure(ClassConnect, fmt.Sprintf("connection to %s was reset by the endpoint", hostport))
	case status == 0 && (errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)):
		return failure(ClassConnect, fmt.Sprintf("cannot connect to %s: no route to host", hostport))
	case status == 0 && isTLSError(err):
		return failure(ClassTLS, fmt.Sprintf("TLS handshake with %s failed", hostport))
	}
	bucket := fmt.Sprintf("bucket %q", p.loc.Bucket)
	// Messages never name the access key ID: they reach whoever sent the
	// review (admission denials and warnings, CBSL status), and a forged
	// review could otherwise learn another project's key ID.
	const ak = "the CBSL's credential"
	switch code {
	case "InvalidClientTokenId", "InvalidToken", "ExpiredToken":
		return failure(ClassAccessDenied, fmt.Sprintf("access denied (HTTP %d, %s): the endpoint refused %s", status, code, ak))
	case "SignatureDoesNotMatch":
		return failure(ClassAccessDenied, fmt.Sprintf("access denied (HTTP 403, SignatureDoesNotMatch): the secret access key of %s does not match its access key ID", ak))
	case "InvalidAccessKeyId":
		return failure(ClassAccessDenied, fmt.Sprintf("access denied (HTTP 403, InvalidAccessKeyId): the access key ID of %s is unknown to %s", ak, p.endpoint))
	case "NoSuchKey":
		return failure(ClassNoSuchKey, fmt.Sprintf("no such object in %s at %s", bucket, p.endpoint))
	case "NoSuchBucket":
		return failure(ClassNoSuchBucket, fmt.Sprintf("%s does not exist at %s", bucket, p.endpoint))
	case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException", "IncorrectEndpoint":
		return failure(ClassWrongRegion, wrongRegion(p, bucket, region))
	}
	switch {
	case status == http.StatusForbidden:
		detail := ""
		if code != "" && code != "Forbidden" {
			detail = ", " + code
		}
		return failure(ClassAccessDenied, fmt.Sprintf("access denied (HTTP 403%s): %s may not list %s%s", detail, ak, bucket, prefixNote(p.loc)))
	case status == http.StatusNotFound:
		return failure(ClassNoSuchBucket, fmt.Sprintf("%s does not exist at %s", bucket, p.endpoint))
	case status == http.StatusMovedPermanently || (region != "" && region != p.loc.SigningRegion()):
		return failure(ClassWrongRegion, wrongRegion(p, bucket, region))
	case status >= 300 && status < 400:
		return failure(ClassHTTP, fmt.Sprintf("%s answered with a redirect (HTTP %d); redirects are not followed, point s3Url at the S3 endpoint itself", p.endpoint, status))
	case status != 0:
		if code != "" {
			return failure(ClassHTTP, fmt.Sprintf("unexpected answer from %s: HTTP %d (%s)", p.endpoint, status, code))
		}
		return failure(ClassHTTP, fmt.Sprintf("unexpected answer from %s: HTTP %d", p.endpoint, status))
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return failure(ClassConnect, fmt.Sprintf("cannot connect to %s", hostport))
	}
	return failure(ClassConnect, fmt.Sprintf("request to %s failed before an answer arrived", hostport))
}

func wrongRegion(p describe, bucket, actual string) string {
	if actual != "" && safeCode.MatchString(actual) {
		return fmt.Sprintf("%s is not in region %q but in %q; set config.region", bucket, p.loc.SigningRegion(), actual)
	}
	return fmt.Sprintf("%s is not in region %q (the endpoint rejected the region); set config.region to the bucket's region", bucket, p.loc.SigningRegion())
}

func prefixNote(l storage.Location) string {
	if lp := l.ListPrefix(); lp != "" {
		return fmt.Sprintf(" under prefix %q", lp)
	}
	return ""
}

func isTLSError(err error) bool {
	var (
		ae *tls.AlertError
		ce *tls.CertificateVerificationError
	)
	return errors.As(err, &ae) || errors.As(err, &ce)
}

// statusOf returns the HTTP status of a failed S3 call (0 when no answer
// arrived) and the bucket's region when the endpoint named it in the
// x-amz-bucket-region header.
func statusOf(err error) (int, string) {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return 0, ""
	}
	return re.HTTPStatusCode(), re.Response.Header.Get("X-Amz-Bucket-Region")
}
