package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRestConfigFromFileHasNoClientRateLimit: with --kubeconfig the seed's
// processes get the same client as in a pod — no client-side rate limit
// (client-go's default 5 requests/s throttled the release and credentials
// loops in the 1,000-cluster benchmark).
func TestRestConfigFromFileHasNoClientRateLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kubeconfig")
	kc := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`
	if err := os.WriteFile(p, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := restConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QPS != -1 || cfg.Host != "https://127.0.0.1:6443" {
		t.Fatalf("QPS %v host %q, want -1 (no client-side limit) and the file's server", cfg.QPS, cfg.Host)
	}
}
