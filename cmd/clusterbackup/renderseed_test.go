//go:build !webhookonly

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// TestRenderSeed renders the seed side through the CLI and proves the
// Deployment's arguments are what `clusterbackup webhook` accepts, with both
// loops on and the --values files applied; other render flags are refused.
func TestRenderSeed(t *testing.T) {
	vals := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(vals, []byte("cbslNamespace: kkp-system\ncredentialsLoop:\n  resyncPeriod: 2m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }},
		[]string{"render", "--seed", "--values", vals})
	if code != 0 {
		t.Fatalf("render --seed: exit %d\n%s", code, errb.String())
	}
	var dep appsv1.Deployment
	for _, doc := range strings.Split(out.String(), "\n---\n") {
		if strings.Contains(doc, "\nkind: Deployment\n") {
			if err := yaml.Unmarshal([]byte(doc), &dep); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(dep.Spec.Template.Spec.Containers) != 1 || strings.Contains(out.String(), "kind: Secret\n") {
		t.Fatalf("render --seed: want one Deployment with one container and no Secret\n%s", out.String())
	}
	args := dep.Spec.Template.Spec.Containers[0].Args
	if args[0] != "webhook" {
		t.Fatalf("container args start with %q, want webhook", args[0])
	}
	o, _, err := parseWebhookArgs(streams{Err: io.Discard}, args[1:])
	if err != nil {
		t.Fatalf("the rendered arguments do not parse: %v\n%v", err, args)
	}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if o.Mode != server.ModeSeed || !o.Seed.StatusLoop || !o.Seed.Credentials.Enabled || o.Seed.CBSLNamespace != "kkp-system" ||
		o.Seed.Credentials.ResyncPeriod.String() != "2m0s" || o.Seed.Credentials.CredentialsSecret != "velero-cloud-credentials" {
		t.Fatalf("parsed options: mode %s, status loop %v, credentials %+v, cbsl namespace %s", o.Mode, o.Seed.StatusLoop, o.Seed.Credentials, o.Seed.CBSLNamespace)
	}

	errb.Reset()
	if code := run(context.Background(), streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb, Getenv: func(string) string { return "" }},
		[]string{"render", "--seed", "--overlay", "hardened"}); code != 2 || !strings.Contains(errb.String(), "--overlay") {
		t.Fatalf("render --seed --overlay: exit %d, %s; want a usage error naming --overlay", code, errb.String())
	}
}
