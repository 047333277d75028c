package s3check_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// TestFailureClasses runs the checker against a real versitygw and a few
// misbehaving endpoints; each failure class has its own message and none
// echoes the secret or the access key ID.
func TestFailureClasses(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	closed, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	hang := testenv.StartSilentListener(t, "127.0.0.1:0")
	c := s3check.New(s3check.Options{Policy: allowLoopback, Budget: duration.Of(time.Second), CacheTTL: duration.Of(-1), FailureTTL: duration.Of(-1)})

	cases := map[string]struct {
		mod   func(*s3check.Target)
		class s3check.Class
		msg   string
	}{
		"reachable": {func(*s3check.Target) {}, s3check.ClassOK, `bucket "backups" at http://127.0.0.1:`},
		"wrong secret key": {func(tg *s3check.Target) { tg.Credentials.SecretAccessKey = "wrong-secret-value" },
			s3check.ClassAccessDenied, "access denied (HTTP 403, SignatureDoesNotMatch)"},
		"unknown access key": {func(tg *s3check.Target) { tg.Credentials.AccessKeyID = "AKNOBODY0UNKNOWN" },
			s3check.ClassAccessDenied, "access denied (HTTP 403, InvalidAccessKeyId)"},
		"missing bucket": {func(tg *s3check.Target) { tg.Bucket = "no-such-bucket" }, s3check.ClassNoSuchBucket, `bucket "no-such-bucket" does not exist`},
		"wrong region":   {func(tg *s3check.Target) { tg.Region = "eu-west-1" }, s3check.ClassWrongRegion, `is not in region "eu-west-1"`},
		"closed port": {func(tg *s3check.Target) { tg.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", closed) },
			s3check.ClassRefused, "refused: nothing listens there"},
		"silent listener": {func(tg *s3check.Target) { tg.Endpoint = "http://" + hang.Addr().String() },
			s3check.ClassTimeout, "within the 1s budget"},
		"https against plain http": {func(tg *s3check.Target) { tg.Endpoint = strings.Replace(s.Endpoint, "http:", "https:", 1) },
			s3check.ClassTLS, "does not speak TLS"},
		"not allowlisted loopback": {func(tg *s3check.Target) { tg.Endpoint = "http://127.0.0.2:9000" },
			s3check.ClassPolicy, "loopback address"},
		"metadata":     {func(tg *s3check.Target) { tg.Endpoint = "http://169.254.169.254" }, s3check.ClassPolicy, "cloud metadata address"},
		"ecs metadata": {func(tg *s3check.Target) { tg.Endpoint = "http://169.254.170.2" }, s3check.ClassPolicy, "cloud metadata address"},
		"v6 metadata":  {func(tg *s3check.Target) { tg.Endpoint = "http://[fd00:ec2::254]" }, s3check.ClassPolicy, "cloud metadata address"},
		"ftp scheme":   {func(tg *s3check.Target) { tg.Endpoint = "ftp://example.com" }, s3check.ClassInvalid, "http or https"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tg := rootTarget(s, "backups", "p1")
			tc.mod(&tg)
			start := time.Now()
			r := c.Check(ctx, tg)
			took := time.Since(start)
			if r.Class != tc.class || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", r.Class, r.Message, tc.class, tc.msg)
			}
			if took > time.Second+500*time.Millisecond {
				t.Fatalf("took %s, budget is 1s", took)
			}
			for _, secret := range []string{s.RootSecretKey, "wrong-secret-value"} {
				if strings.Contains(r.Message, secret) {
					t.Fatalf("message leaks the secret: %q", r.Message)
				}
			}
			// Nor the access key ID: messages become admission answers.
			if strings.Contains(r.Message, tg.Credentials.AccessKeyID) {
				t.Fatalf("message names the access key ID %q: %q", tg.Credentials.AccessKeyID, r.Message)
			}
		})
	}
}

// TestDNSFailure uses a resolver that knows no names.
func TestDNSFailure(t *testing.T) {
	c := s3check.New(s3check.Options{Resolver: fakeResolver{}})
	r := c.Check(context.Background(), s3check.Target{Location: storage.Location{Endpoint: "https://s3.nowhere.test", Region: "x", Bucket: "b", Credentials: creds.Static{AccessKeyID: "a", SecretAccessKey: "b"}}})
	if r.Class != s3check.ClassDNS || !strings.Contains(r.Message, `cannot resolve endpoint host "s3.nowhere.test": no such host`) {
		t.Fatalf("got %s %q", r.Class, r.Message)
	}
}

// TestMetadataBehindNameNoPacket resolves a name to an allowlisted address
// that a counting listener holds plus the metadata address: the check is
// denied and the listener sees no connection, so nothing was dialled.
func TestMetadataBehindNameNoPacket(t *testing.T) {
	l := testenv.StartSilentListener(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(l.Addr().String())
	c := s3check.New(s3check.Options{
		Policy:   allowLoopback,
		Resolver: fakeResolver{"s3.rebind.test": {"127.0.0.1", "169.254.169.254"}},
	})
	r := c.Check(context.Background(), s3check.Target{Location: storage.Location{Endpoint: "http://s3.rebind.test:" + port, Region: "x", Bucket: "bucket", Credentials: creds.Static{AccessKeyID: "a", SecretAccessKey: "b"}}})
	if r.Class != s3check.ClassPolicy || !strings.Contains(r.Message, `"s3.rebind.test" resolves to 169.254.169.254`) {
		t.Fatalf("got %s %q", r.Class, r.Message)
	}
	if n := l.N.Load(); n != 0 {
		t.Fatalf("listener saw %d connections, want 0", n)
	}
	// A configured deny CIDR wins over the allowlist; again nothing is dialled.
	c = s3check.New(s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.0/8"), Deny: s3check.MustPrefixes("127.0.0.1/32")}})
	r = c.Check(context.Background(), s3check.Target{Location: storage.Location{Endpoint: "http://" + l.Addr().String(), Region: "x", Bucket: "bucket", Credentials: creds.Static{AccessKeyID: "a", SecretAccessKey: "b"}}})
	if r.Class != s3check.ClassPolicy || !strings.Contains(r.Message, "in the denied range 127.0.0.1/32") || l.N.Load() != 0 {
		t.Fatalf("got %s %q with %d connections", r.Class, r.Message, l.N.Load())
	}
}

// TestSelfSignedTLS puts a TLS reverse proxy with a self-signed certificate
// in front of versitygw: unknown authority without caCert, usable with it.
func TestSelfSignedTLS(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	p := testenv.StartCountingProxy(t, s.Endpoint, true)
	c := s3check.New(s3check.Options{Policy: allowLoopback, CacheTTL: duration.Of(-1), FailureTTL: duration.Of(-1)})
	tg := rootTarget(s, "backups", "")
	tg.Endpoint = p.URL
	r := c.Check(ctx, tg)
	if r.Class != s3check.ClassTLS || !strings.Contains(r.Message, "signed by an unknown authority") {
		t.Fatalf("without CA: %s %q", r.Class, r.Message)
	}
	tg.CACert = p.CAPEM()
	if r := c.Check(ctx, tg); !r.OK() {
		t.Fatalf("with CA: %s %q", r.Class, r.Message)
	}
	// A CA that is not the endpoint's does not help.
	other := testenv.StartCountingProxy(t, s.Endpoint, true)
	tg.CACert = other.CAPEM()
	if _, err := x509.ParseCertificate(other.Certificate().Raw); err != nil {
		t.Fatal(err)
	}
	if r := c.Check(ctx, tg); r.Class != s3check.ClassTLS {
		t.Fatalf("with a foreign CA: %s %q", r.Class, r.Message)
	}
}

// TestCacheAndSingleFlight counts requests through a proxy: a cached answer
// makes none, 20 concurrent first checks make one check's worth, and a
// changed credential is a new key.
func TestCacheAndSingleFlight(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	p := testenv.StartCountingProxy(t, s.Endpoint, false)
	c := s3check.New(s3check.Options{Policy: allowLoopback})
	tg := rootTarget(s, "backups", "p1")
	tg.Endpoint = p.URL

	var wg sync.WaitGroup
	results := make([]s3check.Result, 20)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = c.Check(ctx, tg) }()
	}
	wg.Wait()
	for _, r := range results {
		if !r.OK() {
			t.Fatalf("concurrent check: %s %q", r.Class, r.Message)
		}
	}
	one := p.N.Load()
	if st := c.Stats(); st.Checks != 1 || one != 2 {
		t.Fatalf("20 concurrent checks: %+v, %d requests; want 1 check of 2 requests (HeadBucket + ListObjectsV2)", st, one)
	}
	r := c.Check(ctx, tg)
	if !r.OK() || !r.Cached || p.N.Load() != one {
		t.Fatalf("second check: cached=%v, requests %d -> %d", r.Cached, one, p.N.Load())
	}
	tg.Credentials.SecretAccessKey = "rotated"
	if r := c.Check(ctx, tg); r.Cached || r.Class != s3check.ClassAccessDenied {
		t.Fatalf("changed credential: cached=%v %s", r.Cached, r.Class)
	}
}

// TestPrefixScopedCredential gives two users bucket-policy access to their
// own prefix only (HeadBucket and root listing denied), and a third the whole
// bucket: the first two are usable and isolated, the third not isolated.
func TestPrefixScopedCredential(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	users := map[string]string{"usera": "secret-a-000000", "userb": "secret-b-000000", "wide": "secret-w-000000"}
	for ak, sk := range users {
		if err := s.CreateUser(ak, sk); err != nil {
			t.Fatal(err)
		}
	}
	policy := `{"Version":"2012-10-17","Statement":[` +
		scoped("usera", "backups", "seed/pa/ca") + `,` + scoped("userb", "backups", "seed/pb/cb") + `,` +
		`{"Effect":"Allow","Principal":{"AWS":["wide"]},"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::backups"]}]}`
	if _, err := s.Client(s.RootAccessKey, s.RootSecretKey).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("backups"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	c := s3check.New(s3check.Options{Policy: allowLoopback})
	target := func(ak, pfx string) s3check.Target {
		return s3check.Target{Location: storage.Location{Endpoint: s.Endpoint, Region: s3env.Region, Bucket: "backups", Prefix: pfx,
			Credentials: creds.Static{AccessKeyID: ak, SecretAccessKey: users[ak]}}, ProbeIsolation: true}
	}
	for _, tc := range []struct{ ak, pfx string }{{"usera", "seed/pa/ca"}, {"userb", "seed/pb/cb"}} {
		r := c.Check(ctx, target(tc.ak, tc.pfx))
		if !r.OK() || r.Isolated == nil || !*r.Isolated || len(r.Warnings) != 0 {
			t.Fatalf("%s: %s %q isolated=%v warnings=%q", tc.ak, r.Class, r.Message, r.Isolated, r.Warnings)
		}
	}
	// A's credential on B's prefix is denied.
	if r := c.Check(ctx, target("usera", "seed/pb/cb")); r.Class != s3check.ClassAccessDenied {
		t.Fatalf("usera on B's prefix: %s %q", r.Class, r.Message)
	}
	r := c.Check(ctx, target("wide", "seed/pa/ca"))
	if !r.OK() || r.Isolated == nil || *r.Isolated || len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "credential is not isolated") {
		t.Fatalf("wide: %s %q isolated=%v warnings=%q", r.Class, r.Message, r.Isolated, r.Warnings)
	}
}

func scoped(ak, bucket, pfx string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Principal":{"AWS":[%q]},"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::%s"],"Condition":{"StringLike":{"s3:prefix":["%s/*"]}}},`+
		`{"Effect":"Allow","Principal":{"AWS":[%q]},"Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::%s/%s/*"]}`,
		ak, bucket, pfx, ak, bucket, pfx)
}
