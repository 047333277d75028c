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
	if err := os.WriteFile(vals, []byte("cbslNamespace: kkp-system\ncredentialsLoop:\n  resyncPeriod: 2m\nwebhook:\n  clientCA:\n    configMapName: apiserver-client-ca\n"), 0o600); err != nil {
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
		o.Seed.Credentials.ResyncPeriod.String() != "2m0s" || o.Seed.Credentials.CredentialsSecret != "velero-cloud-credentials" || o.ClientCAName != "client-ca.crt" {
		t.Fatalf("parsed options: mode %s, status loop %v, credentials %+v, cbsl namespace %s", o.Mode, o.Seed.StatusLoop, o.Seed.Credentials, o.Seed.CBSLNamespace)
	}

	errb.Reset()
	if code := run(context.Background(), streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb, Getenv: func(string) string { return "" }},
		[]string{"render", "--seed", "--overlay", "hardened"}); code != 2 || !strings.Contains(errb.String(), "--overlay") {
		t.Fatalf("render --seed --overlay: exit %d, %s; want a usage error naming --overlay", code, errb.String())
	}
}

// TestRenderExternalSecret: --credentials external-secret renders an ESO
// ExternalSecret per cluster instead of expecting the Secret, never a
// Secret; without --external-secret-store it is a usage error.
func TestRenderExternalSecret(t *testing.T) {
	var out, errb bytes.Buffer
	s := streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	if code := run(context.Background(), s, []string{"render", "--credentials", "external-secret", "--external-secret-store", "seed-kubermatic"}); code != 0 {
		t.Fatalf("render --credentials external-secret: exit %d\n%s", code, errb.String())
	}
	got := out.String()
	if !strings.Contains(got, "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n") || !strings.Contains(got, `name: "seed-kubermatic"`) ||
		strings.Contains(got, "\nkind: Secret\n") || strings.Contains(got, "aws_secret_access_key=") && !strings.Contains(got, "{{ .secretAccessKey") {
		t.Fatalf("render output lacks the ExternalSecret or holds a Secret:\n%s", got)
	}
	errb.Reset()
	if code := run(context.Background(), s, []string{"render", "--credentials", "external-secret"}); code != 2 || !strings.Contains(errb.String(), "--external-secret-store") {
		t.Fatalf("without a store: exit %d, %s; want a usage error naming --external-secret-store", code, errb.String())
	}
}
