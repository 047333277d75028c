package download

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3client"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// oneHost resolves one name to one address.
type oneHost struct {
	name string
	addr netip.Addr
}

func (r oneHost) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host != r.name {
		return nil, errors.New("unknown host " + host)
	}
	return []netip.Addr{r.addr}, nil
}

// TestDialPolicy: download reaches storage only through the guarded client
// (a defect before: it took HTTP(S)_PROXY from the environment and dialled
// whatever the endpoint named). A name that resolves to a loopback address
// is refused before anything is dialled unless the policy allows it; once
// allowed, the download goes straight to the checked address and a proxy
// the environment names sees nothing.
func TestDialPolicy(t *testing.T) {
	// The environment names a proxy before anything in the process reads
	// it (net/http reads it once).
	proxy := &forwarder{}
	t.Setenv("HTTP_PROXY", proxy.start(t))
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	s := s3env.Start(t)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	const prefix = "seed/p1/c1"
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(storage.LayoutOf(prefix).BackupContentsKey("b1")), Body: strings.NewReader("tarball")}); err != nil {
		t.Fatal(err)
	}
	proxy.Target(s.Endpoint)
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	const name = "s3.backups.example"
	r := oneHost{name: name, addr: netip.MustParseAddr(u.Hostname())}
	loc := storage.Location{Endpoint: "http://" + name + ":" + u.Port(), Bucket: "bkt", Prefix: prefix, PathStyle: true,
		Credentials: creds.Static{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecretKey}}

	_, err = New(ctx, loc, s3client.Options{Resolver: r})
	if !errors.Is(err, ErrEndpointDenied) || !strings.Contains(err.Error(), `endpoint host "s3.backups.example" resolves to 127.0.0.1, which is not allowed: loopback address`) {
		t.Fatalf("loopback behind a name with the default policy: %v", err)
	}

	c, err := New(ctx, loc, s3client.Options{Resolver: r, Policy: allowLoopback.Policy})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dest := filepath.Join(t.TempDir(), "b1.tar.gz")
	if n, err := c.ToFile(ctx, "b1", dest); err != nil || n != int64(len("tarball")) {
		t.Fatalf("download with loopback allowed: %d bytes, %v", n, err)
	}
	if got, _ := os.ReadFile(dest); string(got) != "tarball" {
		t.Fatalf("downloaded %q", got)
	}
	if n := proxy.N.Load(); n != 0 {
		t.Fatalf("the environment's proxy saw %d requests", n)
	}
}

// forwarder is a counting forward proxy that sends every request to one
// target (the S3 server), started before the target is known.
type forwarder struct {
	URL    string
	N      atomic.Int64
	target atomic.Pointer[url.URL]
}

func (f *forwarder) start(t *testing.T) string {
	srv := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		f.N.Add(1)
		r.SetURL(f.target.Load())
		r.Out.Host = r.In.Host // keep the Host header the client signed
	}})
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return srv.URL
}

// Target sets where the proxy forwards to.
func (f *forwarder) Target(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	f.target.Store(u)
}
