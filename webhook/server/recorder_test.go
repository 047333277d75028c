package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// capturedReview is one AdmissionReview the API server sent and the answer
// it got.
type capturedReview struct {
	Path     string
	Request  admissionv1.AdmissionReview
	Response admissionv1.AdmissionReview
}

// recorder is a TLS reverse proxy where the API server expects the webhook
// (envtest's serving address and certificate) that forwards to the real
// webhook server and keeps each review and answer.
type recorder struct {
	mu   sync.Mutex
	seen []capturedReview
}

// all returns the reviews captured so far for path.
func (r *recorder) all(path string) []capturedReview {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []capturedReview
	for _, c := range r.seen {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// startRecorder listens on listen with the certificate in certDir and
// forwards to target, which serves the same certificate (signed by ca).
func startRecorder(t *testing.T, listen, target, certDir string, ca []byte) *recorder {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key"))
	testenv.Must(t, err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	rec := &recorder{}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "https", Host: target})
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		c := capturedReview{Path: resp.Request.URL.Path}
		if req, ok := resp.Request.Context().Value(reqBodyKey{}).([]byte); ok {
			_ = json.Unmarshal(req, &c.Request)
		}
		_ = json.Unmarshal(body, &c.Response)
		rec.mu.Lock()
		rec.seen = append(rec.seen, c)
		rec.mu.Unlock()
		return nil
	}
	l, err := tls.Listen("tcp", listen, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	testenv.Must(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reqBodyKey{}, body)))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return rec
}

// reqBodyKey carries a review's request body to ModifyResponse.
type reqBodyKey struct{}
