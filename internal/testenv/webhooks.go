package testenv

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
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

// WaitOK waits up to timeout until url (a health or readiness endpoint)
// answers 200, and fails the test otherwise.
func WaitOK(t TB, url string, timeout time.Duration) {
	t.Helper()
	EventuallyEvery(t, timeout, 50*time.Millisecond, url+" answering 200", func() (bool, error) {
		resp, err := http.Get(url) //nolint:gosec // a test's own local server
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("status %d", resp.StatusCode)
	})
}

// Warnings records the admission warnings a client receives
// (rest.WarningHandlerWithContext); safe for concurrent use.
type Warnings struct {
	mu   sync.Mutex
	text []string
}

// HandleWarningHeaderWithContext records a warning
// (rest.WarningHandlerWithContext).
func (w *Warnings) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, text string) {
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

// Take returns every warning so far, one per line, and forgets them.
func (w *Warnings) Take() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.Join(w.text, "\n")
	w.text = nil
	return s
}

// WarningClient returns a client for cfg (with Scheme) that records the
// admission warnings it receives in the returned Warnings.
func WarningClient(t TB, cfg *rest.Config) (client.Client, *Warnings) {
	t.Helper()
	w := &Warnings{}
	c := rest.CopyConfig(cfg)
	c.WarningHandlerWithContext = w
	cl, err := client.New(c, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatalf("testenv: client recording warnings: %v", err)
	}
	return cl, w
}
