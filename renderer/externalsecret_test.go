package renderer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestExternalSecretLayouts: KKP's two keys are templated into the AWS
// credentials file; an INI Secret among the inputs is copied by its key;
// the remote key is the CBSL's credential Secret; no key is rendered.
func TestExternalSecretLayouts(t *testing.T) {
	opts := Options{Credentials: CredentialsExternalSecret, ExternalSecretStore: SecretStoreRef{Name: "store", Kind: "SecretStore"}}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	in := loadCase(t, "inline-credentials")
	keys := in
	keys.Secret = nil
	ini := in
	ini.CBSL = in.CBSL.DeepCopy()
	ini.CBSL.Spec.Credential.Key = "cloud"
	ini.Secret = in.Secret.DeepCopy()
	ini.Secret.Data = map[string][]byte{"cloud": []byte("[default]\naws_access_key_id=AKINI\naws_secret_access_key=SKINISECRET\n")}
	for name, tc := range map[string]struct {
		in   Input
		want []string
	}{
		"keys (no Secret among the inputs)": {keys, []string{"aws_access_key_id={{ .accessKeyId | trim }}", "property: accessKeyId", "kind: SecretStore\n"}},
		"KKP keys in the Secret":            {in, []string{"property: accessKeyId", "property: secretAccessKey"}},
		"an INI file in the Secret":         {ini, []string{"- secretKey: cloud\n", `property: "cloud"`}},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := r.Render(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var es string
			for _, m := range res.Manifests {
				if m.Kind == "Secret" {
					t.Fatal("a Secret was rendered in externalSecret mode")
				}
				if m.Kind == "ExternalSecret" {
					es = string(m.YAML)
				}
			}
			if !strings.Contains(es, `key: "`+tc.in.CBSL.Spec.Credential.Name+`"`) {
				t.Fatalf("the ExternalSecret does not read the CBSL's Secret %s:\n%s", tc.in.CBSL.Spec.Credential.Name, es)
			}
			for _, w := range tc.want {
				if !strings.Contains(es, w) {
					t.Errorf("ExternalSecret lacks %q:\n%s", w, es)
				}
			}
			if tc.in.Secret != nil {
				for _, v := range tc.in.Secret.Data {
					if len(v) > 3 && strings.Contains(es, string(v)) {
						t.Fatal("a secret value is in the ExternalSecret")
					}
				}
			}
		})
	}
	if _, err := mustRenderer(t, Options{Credentials: CredentialsExternalSecret}).Render(context.Background(), in); err == nil || !strings.Contains(err.Error(), "SecretStore") {
		t.Fatalf("without a store: err = %v, want one naming the store", err)
	}
}

// TestDocsSecretStoreExample validates the SecretStore example of
// docs/credentials.md against ESO's CRD schema.
func TestDocsSecretStoreExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "credentials.md"))
	if err != nil {
		t.Fatal(err)
	}
	var example string
	for _, block := range strings.Split(string(b), "```yaml\n")[1:] {
		if y, _, _ := strings.Cut(block, "```"); strings.Contains(y, "kind: ClusterSecretStore") {
			example = y
		}
	}
	if example == "" {
		t.Fatal("docs/credentials.md has no ClusterSecretStore example")
	}
	out, err := kubeconform(t, []byte(example))
	if err != nil || !strings.Contains(out, "Valid: 1, Invalid: 0, Errors: 0, Skipped: 0") {
		t.Fatalf("kubeconform of the docs' ClusterSecretStore: %v\n%s", err, out)
	}
}

func mustRenderer(t *testing.T, o Options) *Renderer {
	t.Helper()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
