package seed

import (
	"flag"
	"io"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

func TestAddFlags(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	if o.Mode != ModeEnforce || o.Check.Budget.Duration != s3check.DefaultBudget || o.CBSLNamespace != "kubermatic" {
		t.Fatalf("flag defaults: %+v", o)
	}
	err := fs.Parse([]string{"--cbsl-check-mode=warn", "--cbsl-check-budget=2s", "--cbsl-check-allow-cidr=127.0.0.1,10.0.0.0/8",
		"--cbsl-check-deny-cidr=10.96.0.0/12", "--cbsl-namespace=seed"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Mode != ModeWarn || o.Check.Budget.Duration != 2*time.Second || len(o.Check.Policy.Allow) != 2 || len(o.Check.Policy.Deny) != 1 ||
		o.CBSLNamespace != "seed" {
		t.Fatalf("parsed: %+v", o)
	}
	if err := fs.Parse([]string{"--cbsl-check-mode=audit"}); err == nil {
		t.Fatal("accepted mode audit")
	}
}

// TestOptionsFromConfigFile: the webhook server embeds Options in its YAML
// config file.
func TestOptionsFromConfigFile(t *testing.T) {
	var o Options
	err := yaml.UnmarshalStrict([]byte("mode: warn\ncbslNamespace: seed\ncheck:\n  budget: 2s\n  policy:\n    allow: [127.0.0.1/32]\n    deny: [10.96.0.0/12]\n"), &o)
	if err != nil {
		t.Fatal(err)
	}
	if o.Mode != ModeWarn || o.CBSLNamespace != "seed" || o.Check.Budget.Duration != 2*time.Second ||
		o.Check.Policy.Allow.String() != "127.0.0.1/32" || o.Check.Policy.Deny.String() != "10.96.0.0/12" {
		t.Fatalf("decoded %+v", o)
	}
}
