package s3check_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	cryptotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// allowLoopback is the test policy: only 127.0.0.1 is allowlisted.
var allowLoopback = s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}

// countingProxy is a reverse proxy in front of an S3 endpoint that counts the
// requests it forwards. It keeps the Host header, so signatures still verify.
type countingProxy struct {
	*httptest.Server
	n atomic.Int64
}

func newCountingProxy(t *testing.T, target string, tls bool) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.n.Add(1)
		rp.ServeHTTP(w, r)
	})
	if tls {
		p.Server = httptest.NewUnstartedServer(h)
		p.Server.TLS = selfSignedConfig(t)
		p.Server.StartTLS()
	} else {
		p.Server = httptest.NewServer(h)
	}
	t.Cleanup(p.Close)
	return p
}

// selfSignedConfig returns a TLS config with a fresh self-signed certificate
// for 127.0.0.1 (httptest's built-in certificate is the same for every
// server, which would hide a wrong CA).
func selfSignedConfig(t *testing.T) *cryptotls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "s3 test endpoint"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &cryptotls.Config{Certificates: []cryptotls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// countingListener accepts connections on addr, counts them and never answers.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func newCountingListener(t testing.TB, addr string) *countingListener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			cl.n.Add(1)
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return cl
}

// fakeResolver answers fixed addresses per host.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, ip := range ips {
		out = append(out, netip.MustParseAddr(ip))
	}
	return out, nil
}

func rootTarget(s *testenv.S3, bucket, prefix string) s3check.Target {
	return s3check.Target{
		Endpoint:    s.Endpoint,
		Region:      testenv.S3Region,
		Bucket:      bucket,
		Prefix:      prefix,
		Credentials: creds.Static{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecretKey},
	}
}
