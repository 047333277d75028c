package release

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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
	must(t, os.WriteFile(p, []byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  veleroVersion: v1.18.0\n"), 0o600))
	s, err = LoadSettings(p)
	if err != nil || s.Options.VeleroTag != "v1.18.0" || s.VeleroVersion() != "v1.18.0" {
		t.Fatalf("LoadSettings = %+v, %v", s.Options, err)
	}
	if _, err := LoadSettings(p + ".missing"); err == nil || !strings.Contains(err.Error(), "release render configuration") {
		t.Fatalf("a missing file: %v", err)
	}
}

func TestOptions(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	o.AddFlags(fs)
	must(t, fs.Parse([]string{"--release-loop", "--release-render-config=/etc/cb/seed.yaml", "--release-exclude-selector=clusterbackup.io/release=manual", "--release-resync-period=90s", "--release-workers=8"}))
	o.StateNamespace = "kkp"
	c, err := o.Complete()
	must(t, err)
	if !c.Enabled || c.RenderConfig != "/etc/cb/seed.yaml" || c.FieldManager != DefaultFieldManager || c.ResyncPeriod != 90*time.Second ||
		c.Workers != 8 || c.VeleroNamespace != DefaultVeleroNamespace || c.StateNamespace != "kkp" || c.ControllerName != ControllerName || c.CRDTimeout != DefaultCRDTimeout {
		t.Fatalf("completed options %+v", c)
	}
	if !c.excluded(map[string]string{"clusterbackup.io/release": "manual"}) || c.excluded(map[string]string{"project-id": "p"}) {
		t.Fatal("the exclude selector does not select as written")
	}
	if d, _ := (Options{}).Complete(); d.excluded(map[string]string{"a": "b"}) || d.StateNamespace != DefaultStateNamespace {
		t.Fatalf("defaults: %+v", d)
	}
	for name, bad := range map[string]Options{
		"selector": {ExcludeSelector: "a in (b"},
		"resync":   {ResyncPeriod: time.Millisecond},
		"workers":  {Workers: -1},
	} {
		if _, err := bad.Complete(); err == nil {
			t.Errorf("%s: Complete accepted %+v", name, bad)
		}
	}
}
