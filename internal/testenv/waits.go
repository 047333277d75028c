package testenv

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
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
