package testenv

import (
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WaitTLS waits up to 10s until addr (host:port of a webhook server)
// completes a TLS handshake, and fails the test otherwise.
func WaitTLS(t TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness probe only
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: webhook server did not start on %s: %v", addr, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Warnings records the admission warnings a client receives
// (rest.WarningHandler); safe for concurrent use.
type Warnings struct {
	mu   sync.Mutex
	text []string
}

// HandleWarningHeader records a warning.
func (w *Warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	w.text = append(w.text, text)
	w.mu.Unlock()
}

// String returns every warning so far, one per line.
func (w *Warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.text, "\n")
}

// WarningClient returns a client for cfg (with Scheme) that records the
// admission warnings it receives in the returned Warnings.
func WarningClient(t TB, cfg *rest.Config) (client.Client, *Warnings) {
	t.Helper()
	w := &Warnings{}
	c := rest.CopyConfig(cfg)
	c.WarningHandler = w
	cl, err := client.New(c, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatalf("testenv: client recording warnings: %v", err)
	}
	return cl, w
}
