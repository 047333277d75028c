package s3client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
)

// TestLimitResponsesStreamedBody: a body marked as streamed passes beyond the
// limit on success (a backup tarball), an error body of the same request
// stays bounded.
func TestLimitResponsesStreamedBody(t *testing.T) {
	payload := strings.Repeat("x", 3<<20)
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte(payload))
	}))
	defer srv.Close()
	hc := &http.Client{Transport: s3client.LimitResponses(http.DefaultTransport, 1<<20)}
	read := func(ctx context.Context) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var n int
		buf := make([]byte, 32<<10)
		for {
			m, err := resp.Body.Read(buf)
			n += m
			if err != nil {
				if errors.Is(err, io.EOF) {
					return n, nil
				}
				return n, err
			}
		}
	}
	// An announced length above the limit is refused before a byte is read.
	if n, err := read(context.Background()); err == nil || n != 0 || !strings.Contains(err.Error(), "exceeds the limit of 1048576 bytes") {
		t.Fatalf("unmarked body: read %d bytes, err %v", n, err)
	}
	if n, err := read(s3client.WithStreamedBody(context.Background())); err != nil || n != len(payload) {
		t.Fatalf("streamed body: read %d bytes, err %v", n, err)
	}
	status.Store(http.StatusForbidden)
	if n, err := read(s3client.WithStreamedBody(context.Background())); err == nil || n != 0 {
		t.Fatalf("streamed request's error body: read %d bytes, err %v", n, err)
	}
}
