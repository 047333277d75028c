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

// TestRenderSeed renders the seed side through the CLI and proves each
// Deployment's arguments are what its command accepts: the webhooks'
// `clusterbackup webhook` in seed mode, the controllers' `clusterbackup
// controllers` with both loops on and leader election, with the --values
// files applied; other render flags are refused.
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
	deps := map[string]appsv1.Deployment{}
	for _, doc := range strings.Split(out.String(), "\n---\n") {
		if strings.Contains(doc, "\nkind: Deployment\n") {
			var dep appsv1.Deployment
			if err := yaml.Unmarshal([]byte(doc), &dep); err != nil {
				t.Fatal(err)
			}
			deps[dep.Name] = dep
		}
	}
	web, ctl := deps["clusterbackup-seed"], deps["clusterbackup-seed-controllers"]
	if len(deps) != 2 || len(web.Spec.Template.Spec.Containers) != 1 || len(ctl.Spec.Template.Spec.Containers) != 1 || strings.Contains(out.String(), "kind: Secret\n") {
		t.Fatalf("render --seed: want the webhook and controllers Deployments with one container each and no Secret\n%s", out.String())
	}
	if web.Spec.Template.Spec.ServiceAccountName == ctl.Spec.Template.Spec.ServiceAccountName {
		t.Fatalf("webhooks and controllers share service account %q", web.Spec.Template.Spec.ServiceAccountName)
	}
	args := web.Spec.Template.Spec.Containers[0].Args
	if args[0] != "webhook" {
		t.Fatalf("webhook container args start with %q, want webhook", args[0])
	}
	o, _, err := parseWebhookArgs(streams{Err: io.Discard}, args[1:])
	if err != nil {
		t.Fatalf("the rendered webhook arguments do not parse: %v\n%v", err, args)
	}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if o.Mode != server.ModeSeed || o.Seed.CBSLNamespace != "kkp-system" || o.ClientCAName != "client-ca.crt" {
		t.Fatalf("parsed webhook options: mode %s, cbsl namespace %s, client CA %q", o.Mode, o.Seed.CBSLNamespace, o.ClientCAName)
	}
	c := ctl.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 1 || c.Command[0] != "/clusterbackup-controllers" || c.Args[0] != "controllers" {
		t.Fatalf("controllers container runs %v %v, want /clusterbackup-controllers controllers", c.Command, c.Args)
	}
	co, _, err := parseControllersArgs(streams{Err: io.Discard}, c.Args[1:])
	if err != nil {
		t.Fatalf("the rendered controllers arguments do not parse: %v\n%v", err, c.Args)
	}
	if !co.Status.Enabled || !co.Credentials.Enabled || co.CBSLNamespace != "kkp-system" || !co.LeaderElection ||
		co.LeaderElectionID != "clusterbackup-seed-controllers" || co.LeaderElectionNamespace != "clusterbackup" ||
		co.Credentials.ResyncPeriod.String() != "2m0s" || co.Credentials.CredentialsSecret != "velero-cloud-credentials" {
		t.Fatalf("parsed controllers options: %+v", co)
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
