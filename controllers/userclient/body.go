package userclient

import (
	"fmt"
	"io"
	"net/http"

	"k8s.io/client-go/transport"
)

// limitBodies returns a rest.Config.WrapTransport that bounds every
// response body to max bytes: an answer declaring a larger Content-Length is
// refused before its body is read, and reading past max bytes of any other
// answer (chunked, streamed, decompressed) fails. Both errors wrap
// ErrBodyTooLarge and hold none of the body.
func limitBodies(max int64) transport.WrapperFunc {
	return func(rt http.RoundTripper) http.RoundTripper { return &bodyLimiter{next: rt, max: max} }
}

// bodyLimiter is the RoundTripper of limitBodies.
type bodyLimiter struct {
	next http.RoundTripper
	max  int64
}

// RoundTrip implements http.RoundTripper.
func (l *bodyLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > l.max {
		// Closing an unread body closes the connection: nothing is read.
		_ = resp.Body.Close()
		return nil, fmt.Errorf("%w: %s %s answered %d with Content-Length %d, more than %d bytes",
			ErrBodyTooLarge, req.Method, req.URL.Path, resp.StatusCode, resp.ContentLength, l.max)
	}
	resp.Body = &limitedBody{body: resp.Body, left: l.max, max: l.max}
	return resp, nil
}

// WrappedRoundTripper lets client-go's utilities (CloseIdleConnectionsFor)
// reach the transport below.
func (l *bodyLimiter) WrappedRoundTripper() http.RoundTripper { return l.next }

// limitedBody fails, rather than ends, a body longer than max bytes.
type limitedBody struct {
	body      io.ReadCloser
	left, max int64
	err       error
}

// Read implements io.Reader.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// max bytes are read: the body is within bounds only if it ends here.
		var one [1]byte
		n, err := b.body.Read(one[:])
		if n > 0 {
			b.err = fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, b.max)
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	return n, err
}

// Close implements io.Closer.
func (b *limitedBody) Close() error { return b.body.Close() }
