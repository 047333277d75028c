package renderer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// seedCABundle stands in for the API server's CA, so no cert-manager object
// is rendered (kubeconform knows only built-in kinds and ours).
const seedCABundle = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="

// seedAPIServerCIDR stands in for the address the seed's API server calls
// the webhook from: the chart renders only when its callers are limited
// (TestSeedRefusesUnknownCallers).
const seedAPIServerCIDR = "192.0.2.10/32"

// seedValues returns vals over a NetworkPolicy limited to
// seedAPIServerCIDR.
func seedValues(vals map[string]any) map[string]any {
	out := map[string]any{"networkPolicy": map[string]any{"apiServerCIDRs": []any{seedAPIServerCIDR}}}
	mergeInto(out, vals)
	return out
}

// TestSeedGolden renders the seed chart with its defaults and the API
// server's address (seedValues) and compares testdata/seed/golden.yaml (go
// test ./renderer -run TestSeedGolden -update rewrites it); rendering is
// repeatable and holds no Secret.
func TestSeedGolden(t *testing.T) {
	res, err := RenderSeed(SeedOptions{Values: seedValues(nil)})
	if err != nil {
		t.Fatal(err)
	}
	again, err := RenderSeed(SeedOptions{Values: seedValues(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.YAML(), again.YAML()) {
		t.Fatal("two seed renders differ")
	}
	for _, m := range res.Manifests {
		if m.Kind == "Secret" {
			t.Fatalf("the seed render holds Secret %s", m.Name)
		}
	}
	golden := filepath.Join("testdata", "seed", "golden.yaml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, res.YAML(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, res.YAML()) {
		t.Fatalf("seed render differs from %s (run with -update and review the diff)", golden)
	}
}

// TestSeedWebhookConfigurationsMatchGo proves the chart registers the seed
// webhooks exactly as webhook/seed.Configurations does (rules, paths,
// failure policy, side effects, timeouts), so tests that install the Go
// registrations test what the chart installs.
func TestSeedWebhookConfigurationsMatchGo(t *testing.T) {
	res, err := RenderSeed(SeedOptions{Values: seedValues(map[string]any{"webhook": map[string]any{"tls": map[string]any{"caBundle": seedCABundle}}})})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := res.Objects()
	if err != nil {
		t.Fatal(err)
	}
	goM, goV := seed.Configurations(admissionregv1.WebhookClientConfig{
		Service:  &admissionregv1.ServiceReference{Name: "clusterbackup-seed", Namespace: "clusterbackup", Port: ptrTo[int32](443)},
		CABundle: []byte("-----BEGIN CERTIFICATE-----\n"),
	})
	var gotM admissionregv1.MutatingWebhookConfiguration
	var gotV admissionregv1.ValidatingWebhookConfiguration
	for _, o := range objs {
		switch o.GetKind() {
		case "MutatingWebhookConfiguration":
			fromUnstructured(t, o, &gotM)
		case "ValidatingWebhookConfiguration":
			fromUnstructured(t, o, &gotV)
		}
	}
	for name, pair := range map[string][2]any{"mutating": {goM.Webhooks, gotM.Webhooks}, "validating": {goV.Webhooks, gotV.Webhooks}} {
		a, _ := json.Marshal(pair[0])
		b, _ := json.Marshal(pair[1])
		if !bytes.Equal(a, b) {
			t.Errorf("%s webhooks differ:\nGo:    %s\nchart: %s", name, a, b)
		}
	}
	if gotM.Name != seed.ConfigurationName || gotV.Name != seed.ConfigurationName {
		t.Errorf("configuration names %q, %q; want %q", gotM.Name, gotV.Name, seed.ConfigurationName)
	}
}

// TestSeedKubeconform validates the seed render strictly; no object may be
// skipped.
func TestSeedKubeconform(t *testing.T) {
	res, err := RenderSeed(SeedOptions{Values: seedValues(map[string]any{"webhook": map[string]any{"tls": map[string]any{"caBundle": seedCABundle}}})})
	if err != nil {
		t.Fatal(err)
	}
	out, err := kubeconform(t, res.YAML())
	want := "Invalid: 0, Errors: 0, Skipped: 0"
	if err != nil || !strings.Contains(out, want) || strings.Contains(out, "Valid: 0,") {
		t.Fatalf("kubeconform: %v\n%s\nwant %q", err, out, want)
	}
}

// TestSeedHelmCLIParity: `helm template charts/clusterbackup-seed` gives the
// same objects as RenderSeed, and refuses the chart's defaults the same way.
func TestSeedHelmCLIParity(t *testing.T) {
	helm := testenv.MustTool(t, "helm")
	res, err := RenderSeed(SeedOptions{Values: seedValues(nil)})
	if err != nil {
		t.Fatal(err)
	}
	lib, err := res.Objects()
	if err != nil {
		t.Fatal(err)
	}
	chartDir := filepath.Join(testenv.RepoRoot(), "charts", SeedChartName)
	valuesFile := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(valuesFile, []byte("networkPolicy:\n  apiServerCIDRs: ["+seedAPIServerCIDR+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused := exec.Command(helm, append([]string{"template", SeedChartName, chartDir, "--namespace", "clusterbackup"}, HelmTemplateArgs(Options{})...)...)
	refused.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	if out, err := refused.CombinedOutput(); err == nil || !strings.Contains(string(out), "webhook.allowUnauthenticatedClients: true") {
		t.Fatalf("helm template with the chart's defaults: %v\n%s\nwant the refusal naming the values to set", err, out)
	}
	args := append([]string{"template", SeedChartName, chartDir, "--namespace", "clusterbackup", "--values", valuesFile}, HelmTemplateArgs(Options{})...)
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, exitStderr(err))
	}
	testenv.CompareObjectSets(t, "helm template vs RenderSeed", objectSet(t, parseStream(t, out)), objectSet(t, lib))
}

// TestSeedValuesSchema: the schema refuses a misspelt value.
func TestSeedValuesSchema(t *testing.T) {
	_, err := RenderSeed(SeedOptions{Values: map[string]any{"credentialsLoop": map[string]any{"resyncPeriode": "1m"}}})
	if err == nil || !strings.Contains(err.Error(), "resyncPeriode") {
		t.Fatalf("err = %v, want a schema error naming resyncPeriode", err)
	}
}

func fromUnstructured(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
		t.Fatal(err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestSeedClientCAAndNetworkPolicy: with webhook.clientCA the process
// authenticates the API server (--client-ca-name, the CA projected next to
// the serving pair); the NetworkPolicy opens the webhook port to
// apiServerCIDRs and the metrics port only to metricsFrom.
func TestSeedClientCAAndNetworkPolicy(t *testing.T) {
	peer := map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"name": "monitoring"}}}
	res, err := RenderSeed(SeedOptions{Values: map[string]any{
		"webhook":       map[string]any{"clientCA": map[string]any{"configMapName": "apiserver-client-ca"}},
		"networkPolicy": map[string]any{"metricsFrom": []any{peer}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.YAML())
	for _, want := range []string{"- --client-ca-name=client-ca.crt", "name: apiserver-client-ca", "path: client-ca.crt", "port: metrics\n      from:\n        - namespaceSelector:"} {
		if !strings.Contains(out, want) {
			t.Errorf("seed render lacks %q", want)
		}
	}
	def, err := RenderSeed(SeedOptions{Values: seedValues(nil)})
	if err != nil {
		t.Fatal(err)
	}
	policies := 0
	for _, m := range def.Manifests {
		if m.Kind != "NetworkPolicy" {
			continue
		}
		policies++
		y := string(m.YAML)
		switch m.Name {
		case "clusterbackup-seed":
			if strings.Contains(y, "port: metrics") || !strings.Contains(y, "port: webhook\n      from:\n        - ipBlock:\n            cidr: "+seedAPIServerCIDR+"\n") {
				t.Fatalf("default webhook NetworkPolicy must open the webhook port only, to the API server's address:\n%s", y)
			}
		case "clusterbackup-seed-controllers":
			if !strings.Contains(y, "ingress: []") || strings.Contains(y, "port:") {
				t.Fatalf("default controllers NetworkPolicy must admit nothing:\n%s", y)
			}
		default:
			t.Fatalf("unexpected NetworkPolicy %s", m.Name)
		}
	}
	if policies != 2 {
		t.Fatalf("%d NetworkPolicies, want one for the webhooks and one for the controllers", policies)
	}
}

// TestSeedRefusesUnknownCallers: the chart does not render a seed webhook
// that any network peer may send reviews to (a forged review makes it sign
// S3 requests with any project's credential). Each way out renders —
// client-certificate authentication, a NetworkPolicy limited to the API
// server's addresses, the explicit opt-out — and the refusal names all
// three. A NetworkPolicy that is off, admits other peers (webhookFrom) or
// every address (/0) does not count; a CIDR that is none is a schema error.
func TestSeedRefusesUnknownCallers(t *testing.T) {
	peer := map[string]any{"namespaceSelector": map[string]any{}}
	cidrs := func(c ...any) map[string]any { return map[string]any{"apiServerCIDRs": c} }
	for name, tc := range map[string]struct {
		values map[string]any
		want   string // "": renders
	}{
		"defaults":                      {nil, "nothing limits who may send it admission reviews"},
		"webhookFrom alone":             {map[string]any{"networkPolicy": map[string]any{"webhookFrom": []any{peer}}}, "nothing limits"},
		"CIDRs, NetworkPolicy off":      {map[string]any{"networkPolicy": map[string]any{"enabled": false, "apiServerCIDRs": []any{seedAPIServerCIDR}}}, "networkPolicy.enabled is false"},
		"CIDRs and other peers":         {map[string]any{"networkPolicy": map[string]any{"apiServerCIDRs": []any{seedAPIServerCIDR}, "webhookFrom": []any{peer}}}, "networkPolicy.webhookFrom admits peers besides"},
		"every IPv4 address":            {map[string]any{"networkPolicy": cidrs("0.0.0.0/0")}, "holds 0.0.0.0/0, which is every address"},
		"every IPv6 address":            {map[string]any{"networkPolicy": cidrs(seedAPIServerCIDR, "::/0")}, "holds ::/0, which is every address"},
		"not a CIDR":                    {map[string]any{"networkPolicy": cidrs("api-server")}, "apiServerCIDRs"},
		"opt-out false":                 {map[string]any{"webhook": map[string]any{"allowUnauthenticatedClients": false}}, "nothing limits"},
		"client certificates":           {map[string]any{"webhook": map[string]any{"clientCA": map[string]any{"configMapName": "apiserver-client-ca"}}}, ""},
		"client certificates, any peer": {map[string]any{"webhook": map[string]any{"clientCA": map[string]any{"configMapName": "apiserver-client-ca"}}, "networkPolicy": map[string]any{"enabled": false}}, ""},
		"API server CIDRs":              {map[string]any{"networkPolicy": cidrs("10.0.0.10/32", "fd00:10::10/128")}, ""},
		"explicit opt-out":              {map[string]any{"webhook": map[string]any{"allowUnauthenticatedClients": true}}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := RenderSeed(SeedOptions{Values: tc.values})
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v; want a refusal containing %q", err, tc.want)
				}
				if !strings.Contains(tc.want, "every address") && tc.want != "apiServerCIDRs" {
					for _, v := range []string{"webhook.clientCA.configMapName", "networkPolicy.apiServerCIDRs", "webhook.allowUnauthenticatedClients: true"} {
						if !strings.Contains(err.Error(), v) {
							t.Errorf("the refusal does not name %s: %v", v, err)
						}
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name == "API server CIDRs" && !strings.Contains(string(res.YAML()), "        - ipBlock:\n            cidr: 10.0.0.10/32\n        - ipBlock:\n            cidr: fd00:10::10/128\n") {
				t.Errorf("the webhook NetworkPolicy does not admit exactly the CIDRs:\n%s", res.YAML())
			}
		})
	}
}
