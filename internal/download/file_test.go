package download

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// cutAfter passes n bytes of a body, then fails like a dropped connection.
type cutAfter struct {
	r io.ReadCloser
	n int
}

func (c *cutAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errors.New("connection dropped by the test")
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

func (c *cutAfter) Close() error { return c.r.Close() }

// TestToFileLeavesNothingOnFailure streams from versitygw through a proxy
// that drops the connection mid-body, and checks that neither the target
// nor a temporary file is left; then the same download without the fault
// succeeds with identical bytes.
func TestToFileLeavesNothingOnFailure(t *testing.T) {
	s := s3env.Start(t)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	const prefix = "seed/p1/c1"
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(storage.LayoutOf(prefix).BackupContentsKey("b1")), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cut := true
	proxy := httputil.NewSingleHostReverseProxy(target) // keeps the Host header the client signed
	proxy.ModifyResponse = func(r *http.Response) error {
		if cut && r.Request.Method == http.MethodGet && strings.HasSuffix(r.Request.URL.Path, ".tar.gz") {
			r.Body = &cutAfter{r: r.Body, n: 1 << 20}
		}
		return nil
	}
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(proxy)
	defer srv.Close()

	c, err := New(ctx, storage.Location{Endpoint: srv.URL, Bucket: "bkt", Prefix: prefix, PathStyle: true, Credentials: creds.Static{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecretKey}}, allowLoopback)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dest := filepath.Join(dir, "b1.tar.gz")
	n, err := c.ToFile(ctx, "b1", dest)
	if err == nil || !strings.Contains(err.Error(), "the connection ended after 1048576 of 3145728 bytes") {
		t.Fatalf("download through a dropping proxy: %d bytes, %v", n, err)
	}
	t.Logf("dropped connection: %v", err)
	if strings.Contains(err.Error(), s.RootSecretKey) {
		t.Fatalf("error leaks the secret: %v", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("left behind after %v: %v", err, es)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.ToFile(canceled, "b1", dest); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled download: %v", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("left behind after cancel: %v", es)
	}

	cut = false
	if n, err := c.ToFile(ctx, "b1", dest); err != nil || n != int64(len(data)) {
		t.Fatalf("download = %d, %v", n, err)
	}
	got, err := os.ReadFile(dest)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded bytes differ (err %v)", err)
	}
	if _, err := c.ToFile(ctx, "b1", dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("directory as target: %v", err)
	}
}
