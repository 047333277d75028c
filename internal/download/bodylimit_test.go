package download

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// TestHostileListingIsBounded: a missing backup makes download list the
// backups folder; an endpoint that answers that listing with an endless
// document costs at most the response limit, and the
// error names the endpoint and the limit, not the body or the secret.
func TestHostileListingIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		if r.URL.Query().Get("list-type") != "2" { // the GetObject: a missing key
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`<?xml version="1.0"?><Error><Code>NoSuchKey</Code></Error>`))
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`<?xml version="1.0"?><ListBucketResult><Name>b</Name>`))
		chunk := []byte(strings.Repeat(`<CommonPrefixes><Prefix>kkp/p1/c1/backups/zzzz/</Prefix></CommonPrefixes>`, 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, err := New(context.Background(), storage.Location{Endpoint: srv.URL, Bucket: "b", Prefix: "kkp/p1/c1", PathStyle: true, Credentials: creds.Static{AccessKeyID: "AKHOSTILE", SecretAccessKey: "hostile-secret-value"}}, allowLoopback)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.ToFile(context.Background(), "nightly", filepath.Join(dir, "nightly.tar.gz"))
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %.1f MiB: %v", float64(alloc)/(1<<20), err)
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit of 1048576 bytes") || !strings.Contains(err.Error(), srv.Listener.Addr().String()) {
		t.Fatalf("want a response-limit error naming the endpoint, got %v", err)
	}
	for _, leak := range []string{"hostile-secret-value", "zzzz", "<"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error leaks %q: %v", leak, err)
		}
	}
	if alloc > 32<<20 {
		t.Fatalf("download allocated %d bytes against a hostile endpoint", alloc)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left %d files behind", len(left))
	}
}
