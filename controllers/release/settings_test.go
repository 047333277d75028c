package release

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	"github.com/clusterbackup/clusterbackup/renderer"
)

func TestParseSettings(t *testing.T) {
	doc := func(spec string) string {
		return "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n" + spec
	}
	for name, tc := range map[string]struct {
		doc     string
		want    renderer.Options
		wantErr string
	}{
		"empty renders every default":       {doc: ""},
		"an empty spec too":                 {doc: doc("  {}\n")},
		"registry and node agent map":       {doc: doc("  registry: mirror.example.com\n  nodeAgent: false\n"), want: renderer.Options{Registry: "mirror.example.com", DisableNodeAgent: true}},
		"external secret is fine":           {doc: doc("  credentials: externalSecret\n  externalSecretStore: vault\n"), want: renderer.Options{Credentials: renderer.CredentialsExternalSecret, ExternalSecretStore: renderer.SecretStoreRef{Name: "vault"}}},
		"the plugin's validation applies":   {doc: doc("  veleroVersion: v9.0.0\n"), wantErr: "parameter veleroVersion=\"v9.0.0\""},
		"unknown parameters are refused":    {doc: doc("  schedules: daily\n"), wantErr: "unknown parameter \"schedules\""},
		"cluster is the seed's":             {doc: doc("  cluster: abc\n"), wantErr: "parameter cluster (from seed.yaml: spec.cluster) cannot be set"},
		"inputs are the seed's":             {doc: doc("  inputs: [a]\n"), wantErr: "parameter inputs"},
		"lifecycle is the seed's":           {doc: doc("  lifecycle: disabled\n"), wantErr: "parameter lifecycle"},
		"previous locations are the seed's": {doc: doc("  previousLocations: [old]\n"), wantErr: "parameter previousLocations"},
		"inline credentials are refused":    {doc: doc("  credentials: inline\n"), wantErr: "parameter credentials=\"inline\" (from seed.yaml: spec.credentials) cannot be used by the release loop"},
		"a ConfigMap is not a RenderConfig": {doc: "apiVersion: v1\nkind: ConfigMap\ndata: {}\n", wantErr: "not a render configuration"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := ParseSettings("seed.yaml", []byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Options, tc.want) {
				t.Fatalf("options %+v, want %+v", s.Options, tc.want)
			}
		})
	}
}

func TestLoadSettings(t *testing.T) {
	s, err := LoadSettings("")
	if err != nil || !reflect.DeepEqual(s.Options, renderer.Options{}) {
		t.Fatalf("LoadSettings(\"\") = %+v, %v; want the zero options", s.Options, err)
	}
	p := filepath.Join(t.TempDir(), "render-config.yaml")
	testenv.Must(t, os.WriteFile(p, []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  veleroVersion: v1.18.0\n"), 0o600))
	s, err = LoadSettings(p)
	if err != nil || s.Options.VeleroTag != "v1.18.0" || s.VeleroVersion() != "v1.18.0" {
		t.Fatalf("LoadSettings = %+v, %v", s.Options, err)
	}
	if _, err := LoadSettings(p + ".missing"); err == nil || !strings.Contains(err.Error(), "release render configuration") {
		t.Fatalf("a missing file: %v", err)
	}
}
