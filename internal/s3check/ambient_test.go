package s3check_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// TestNoAmbientConfiguration: AWS credentials, profile files and proxies from
// the environment are never used, and http.DefaultTransport is untouched.
func TestNoAmbientConfiguration(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	proxy := testenv.StartCountingProxy(t, s.Endpoint, false)
	t.Setenv("AWS_ACCESS_KEY_ID", s.RootAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.RootSecretKey)
	t.Setenv("AWS_PROFILE", "nope")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	before := http.DefaultTransport

	c := s3check.New(s3check.Options{Policy: allowLoopback, CacheTTL: duration.Of(-1), FailureTTL: duration.Of(-1)})
	tg := rootTarget(s, "backups", "p")
	tg.Credentials.SecretAccessKey = "not-the-root-secret"
	if r := c.Check(ctx, tg); r.Class != s3check.ClassAccessDenied {
		t.Fatalf("wrong own secret with root credentials in the environment: %s %q", r.Class, r.Message)
	}
	if r := c.Check(ctx, rootTarget(s, "backups", "p")); !r.OK() {
		t.Fatalf("own credentials: %s %q", r.Class, r.Message)
	}
	if n := proxy.N.Load(); n != 0 {
		t.Fatalf("the environment's proxy/endpoint saw %d requests", n)
	}
	if http.DefaultTransport != before {
		t.Fatal("http.DefaultTransport was replaced")
	}
}
