package s3client

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Response limits of every S3 client of this module (the check, the status
// loop, `clusterbackup check` and `clusterbackup download`).
const (
	// DefaultMaxResponseBytes bounds one response body (an XML listing, an
	// error document, a location answer). A check lists at most one key, and
	// a listing of 1000 keys with long names stays below 1 MiB.
	DefaultMaxResponseBytes int64 = 1 << 20
	// DefaultMaxHeaderBytes bounds the response headers (net/http's own
	// default is 1 MiB).
	DefaultMaxHeaderBytes int64 = 64 << 10
)

// ResponseTooLargeError is returned by a body that LimitResponses bounded
// once the endpoint sent more than Limit bytes. It names the host, never a
// byte of the body.
type ResponseTooLargeError struct {
	Host  string
	Limit int64
}

// Is makes every ResponseTooLargeError match ErrResponseTooLarge.
func (e *ResponseTooLargeError) Is(target error) bool { return target == ErrResponseTooLarge }

// Error names the host and the limit.
func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("response body from %s exceeds the limit of %d bytes", e.Host, e.Limit)
}

type streamKey struct{}

// WithStreamedBody marks the requests made with ctx as ones whose successful
// (2xx) response body is the payload itself, such as GetObject of a backup
// tarball: LimitResponses lets such a body through up to its declared
// Content-Length (net/http stops reading there) instead of the limit. Error
// responses of those requests stay bounded.
func WithStreamedBody(ctx context.Context) context.Context {
	return context.WithValue(ctx, streamKey{}, true)
}

// LimitResponses wraps rt so that every response body fails with a
// *ResponseTooLargeError once more than max bytes were read (max <= 0 means
// DefaultMaxResponseBytes). The S3 SDK reads XML listings and error documents
// into memory; with this wrapper a hostile endpoint costs at most max bytes
// per response, whatever it streams. Exempt are only 2xx answers to requests
// marked with WithStreamedBody that declare their length.
func LimitResponses(rt http.RoundTripper, max int64) http.RoundTripper {
	if max <= 0 {
		max = DefaultMaxResponseBytes
	}
	return &limitTransport{rt: rt, max: max}
}

type limitTransport struct {
	rt  http.RoundTripper
	max int64
}

// RoundTrip bounds the response body.
func (l *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	streamed, _ := req.Context().Value(streamKey{}).(bool)
	if streamed && resp.StatusCode/100 == 2 && resp.ContentLength >= 0 {
		return resp, nil
	}
	tooLarge := &ResponseTooLargeError{Host: req.URL.Host, Limit: l.max}
	if resp.ContentLength > l.max && req.Method != http.MethodHead { // a HEAD announces the object's length, no body
		// Announced too large: refuse before a byte is read.
		_ = resp.Body.Close()
		return nil, tooLarge
	}
	resp.Body = &limitedBody{rc: resp.Body, left: l.max, err: tooLarge}
	return resp, nil
}

// limitedBody reads at most left bytes and then fails, rather than
// truncating silently (a truncated XML document could parse as valid).
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		// Close at once: an endless body must not keep the connection.
		_ = b.rc.Close()
		return n + int(b.left), b.err
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
