package testenv

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/clusterbackup/clusterbackup/webhook/testcert"
)

// CountingProxy is a reverse proxy in front of an endpoint (the S3 server)
// that counts the requests it forwards, to prove a cache answered or that
// nothing was sent. It keeps the Host header, so S3 signatures still verify.
type CountingProxy struct {
	*httptest.Server
	// N is the number of requests forwarded so far.
	N atomic.Int64
}

// CAPEM returns the proxy's TLS certificate in PEM (a CBSL's caCert).
func (p *CountingProxy) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Certificate().Raw})
}

// StartCountingProxy starts a CountingProxy to target on 127.0.0.1, serving
// TLS with a fresh self-signed certificate (SelfSignedTLS) when withTLS.
func StartCountingProxy(t TB, target string, withTLS bool) *CountingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &CountingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.N.Add(1)
		rp.ServeHTTP(w, r)
	}))
	if withTLS {
		p.Server.TLS = SelfSignedTLS(t)
		p.Server.StartTLS()
	} else {
		p.Server.Start()
	}
	t.Cleanup(p.Close)
	return p
}

// SelfSignedTLS returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and localhost (webhook/testcert's CA;
// httptest's built-in certificate is the same for every server, which
// would hide a wrong CA).
func SelfSignedTLS(t TB) *tls.Config {
	t.Helper()
	ca, err := testcert.New("s3 test endpoint")
	if err != nil {
		t.Fatal(err)
	}
	return ca.TLSConfig()
}

// SilentListener accepts connections, counts them and never answers: an
// endpoint that hangs, to prove a time budget, or one that must never be
// dialled.
type SilentListener struct {
	net.Listener
	// N is the number of connections accepted so far.
	N atomic.Int64
}

// StartSilentListener listens on addr ("127.0.0.1:0" for any port) until the
// test ends.
func StartSilentListener(t TB, addr string) *SilentListener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sl := &SilentListener{Listener: l}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			sl.N.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return sl
}

// SyncBuffer is a goroutine-safe log sink, for tests that prove what a log
// does not contain.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
