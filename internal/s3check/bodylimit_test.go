package s3check_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// hostileEndpoint is a TLS server on 127.0.0.1 that answers HeadBucket with
// 200 and everything else with body(w): an endless listing, an endless error
// document, a slow drip.
func hostileEndpoint(t *testing.T, status int, body func(w http.ResponseWriter, r *http.Request)) (s3check.Target, *httptest.Server) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		body(w, r)
	}))
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return s3check.Target{Location: storage.Location{Endpoint: srv.URL, Region: "us-east-1", Bucket: "backups", Prefix: "kkp/p1/c1", CACert: ca,
		Credentials: creds.Static{AccessKeyID: "AKHOSTILE", SecretAccessKey: "hostile-secret-value"}}}, srv
}

// endless writes elem forever (until the client goes away), after head.
func endless(head, elem string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + head))
		chunk := []byte(strings.Repeat(elem, 64<<10/len(elem)+1))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// TestHostileBodiesAreBounded: an endpoint that streams an endless listing or
// error document costs the checker at most the response limit (1 MiB) per
// answer, not whatever it manages to send within the 3 s budget; the check
// fails with a message that names the endpoint and the limit and carries
// neither the body nor the secret. A slow drip ends at the budget.
func TestHostileBodiesAreBounded(t *testing.T) {
	const bound = 32 << 20
	cases := map[string]struct {
		status int
		body   func(http.ResponseWriter, *http.Request)
		class  s3check.Class
		msg    string
	}{
		"endless listing": {http.StatusOK, endless(`<ListBucketResult><Name>backups</Name>`, `<Contents><Key>kkp/p1/c1/aaaaaaaaaaaaaaaaaaaaaaaa</Key><Size>1</Size></Contents>`),
			s3check.ClassHTTP, "is larger than 1048576 bytes"},
		"endless error document": {http.StatusForbidden, endless(`<Error><Code>AccessDenied</Code><Message>`, `deny `),
			s3check.ClassHTTP, "is larger than 1048576 bytes"},
		"endless server error": {http.StatusInternalServerError, endless(`<Error><Code>InternalError</Code><Message>`, `oops `),
			s3check.ClassHTTP, "is larger than 1048576 bytes"},
		"slow drip": {http.StatusOK, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`<?xml version="1.0"?><ListBucketResult>`))
			for r.Context().Err() == nil {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(10 * time.Millisecond)
			}
		}, s3check.ClassTimeout, "within the 3s budget"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tg, srv := hostileEndpoint(t, tc.status, tc.body)
			c := s3check.New(s3check.Options{Policy: allowLoopback, CacheTTL: duration.Of(-1), FailureTTL: duration.Of(-1)})
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			r := c.Check(context.Background(), tg)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			srv.CloseClientConnections()
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s in %v: allocated %.1f MiB, heap in use %+.1f MiB: %s", r.Class, took.Round(time.Millisecond),
				float64(alloc)/(1<<20), (float64(after.HeapInuse)-float64(before.HeapInuse))/(1<<20), r.Message)
			if r.Class != tc.class || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s with %q", r.Class, r.Message, tc.class, tc.msg)
			}
			if !strings.Contains(r.Message, srv.Listener.Addr().String()) && tc.class == s3check.ClassHTTP {
				t.Fatalf("message does not name the endpoint: %q", r.Message)
			}
			for _, leak := range []string{"hostile-secret-value", "aaaa", "deny", "oops", "<"} {
				if strings.Contains(r.Message, leak) {
					t.Fatalf("message leaks %q: %q", leak, r.Message)
				}
			}
			if alloc > bound {
				t.Fatalf("the check allocated %d bytes, more than the %d bound", alloc, bound)
			}
			if took > s3check.DefaultBudget+time.Second {
				t.Fatalf("the check took %v, beyond its budget", took)
			}
		})
	}
}
