package s3check_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestRedirectsNotFollowed: an endpoint that redirects (to an allowlisted
// listener, even) gets a clear failure and the redirect target sees nothing.
func TestRedirectsNotFollowed(t *testing.T) {
	target := testenv.StartSilentListener(t, "127.0.0.1:0")
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusFound} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+target.Addr().String()+r.URL.Path, code)
		}))
		c := s3check.New(s3check.Options{Policy: allowLoopback})
		r := c.Check(context.Background(), s3check.Target{Location: storage.Location{Endpoint: srv.URL, Region: "us-east-1", Bucket: "backups",
			Credentials: creds.Static{AccessKeyID: "ak", SecretAccessKey: "sk"}}})
		srv.Close()
		if r.Class != s3check.ClassHTTP || !strings.Contains(r.Message, "redirects are not followed") {
			t.Fatalf("HTTP %d: %s %q", code, r.Class, r.Message)
		}
	}
	if n := target.N.Load(); n != 0 {
		t.Fatalf("the redirect target saw %d connections", n)
	}
}
