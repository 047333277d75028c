package download

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
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
	// ErrEndpointDenied: the endpoint policy (s3client.Policy) refused every
	// address of the endpoint; nothing was dialled.
	ErrEndpointDenied = errors.New("endpoint not allowed")
)

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
// object and the class, and never holds a secret or an S3 response body.
// The class is the guarded client's (s3client.Client.Classify); the message
// speaks to the operator running the download, whose own access key it
// names.
func (c *Client) classify(op, key string, err error) error {
	where := c.location(key)
	if ctxErr := contextErr(err); ctxErr != nil {
		return fmt.Errorf("%s %s: %w", op, where, ctxErr)
	}
	var big *s3client.ResponseTooLargeError
	if errors.As(err, &big) {
		return fmt.Errorf("%s %s: %s: %w", op, where, c.endpointName(), big)
	}
	e := c.cl.Classify(err)
	code, status := e.Code, e.Status
	ak := c.loc.Credentials.AccessKeyID
	switch {
	case unreachable[e.Class]:
		return fmt.Errorf("%s %s: %w: %s", op, where, ErrUnreachable, e.Message)
	case e.CredentialsRejected():
		return fmt.Errorf("%s %s: %w, %w: the endpoint refused access key %q (%s): check accessKeyId and secretAccessKey in the Secret", op, where, ErrAccessDenied, ErrCredentialsRejected, ak, codeOr(code, status))
	case e.Class == s3client.ClassAccessDenied || code == "AccessDenied" || code == "Forbidden":
		return fmt.Errorf("%s %s: %w (HTTP 403) for access key %q: the secret is wrong or the credential is not allowed on this prefix", op, where, ErrAccessDenied, ak)
	case code == "NoSuchBucket":
		return fmt.Errorf("%s %s: bucket %q does not exist at %s", op, where, c.loc.Bucket, c.endpointName())
	case status == http.StatusNotFound || code == "NoSuchKey" || code == "NotFound":
		return fmt.Errorf("%s %s: %w", op, where, ErrNotFound)
	case e.Class == s3client.ClassWrongRegion:
		return fmt.Errorf("%s %s: the bucket is not in region %q (%s): set spec.config.region of the storage location", op, where, c.loc.SigningRegion(), codeOr(code, status))
	case code != "" || status != 0:
		return fmt.Errorf("%s %s: S3 error %s", op, where, codeOr(code, status))
	}
	return fmt.Errorf("%s %s: %w: %s", op, where, ErrUnreachable, e.Message)
}

// unreachable are the classes of failures before an answer arrived.
var unreachable = map[s3client.Class]bool{
	s3client.ClassPolicy: true, s3client.ClassDNS: true, s3client.ClassRefused: true,
	s3client.ClassConnect: true, s3client.ClassTimeout: true, s3client.ClassTLS: true,
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
