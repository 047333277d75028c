package renderer

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/<case>/golden.yaml")

// goldenCase is one testdata/<name>/ folder: input.yaml rendered with opts.
type goldenCase struct {
	name string
	opts Options
	// kkpMigrate renders the release as `clusterbackup render
	// --kkp-migrate` does (KKP's location kept read-only under KKP's
	// name); the golden file then also holds the KKP-location admission
	// objects (admission-policies-kkp-location.yaml).
	kkpMigrate bool
}

var goldenCases = []goldenCase{
	{name: "plain"},
	{name: "cbsl-prefix"},
	{name: "cbsl-no-prefix"},
	{name: "air-gap", opts: Options{Overlay: "air-gap"}},
	{name: "hardened", opts: Options{Overlay: "hardened"}},
	{name: "inline-credentials", opts: Options{Credentials: CredentialsInline}},
	{name: "external-secret", opts: Options{Credentials: CredentialsExternalSecret, ExternalSecretStore: SecretStoreRef{Name: "seed-kubermatic"}}},
	// A KKP migration (the cbsl-prefix input): KKP's dashboard Backups are
	// mapped where the API server serves MutatingAdmissionPolicy, and
	// denied with the fix where it does not (Kubernetes 1.35) and no webhook
	// runs.
	{name: "kkp-migrate", kkpMigrate: true},
	{name: "kkp-migrate-k8s-1.35", kkpMigrate: true, opts: Options{KubeVersion: "v1.35.4"}},
	{name: "schedules", opts: Options{Schedules: map[string]Schedule{
		"daily": {Schedule: "0 3 * * *", Template: map[string]any{"ttl": "168h0m0s", "includedNamespaces": []any{"*"}}},
		"hourly-apps": {Schedule: "@every 1h", Paused: true, UseOwnerReferencesInBackup: true,
			Template: map[string]any{"includedNamespaces": []any{"apps"}, "storageLocation": "default", "snapshotVolumes": false}},
	}}},
}

// loadCase reads testdata/<name>/input.yaml; it must hold one cluster.
func loadCase(t testing.TB, name string) Input {
	t.Helper()
	ins, err := LoadInputs(filepath.Join("testdata", name, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 {
		t.Fatalf("testdata/%s: %d clusters, want 1", name, len(ins))
	}
	return ins[0]
}

// ownedByRenderer reports whether a manifest comes from one of the chart's
// templates this package's golden files cover: not the CRDs (generated), and
// not the webhook and admission-policy templates, which their own tests
// cover.
func ownedByRenderer(m Manifest) bool {
	base := path.Base(m.Source)
	return m.Kind != "CustomResourceDefinition" && !strings.HasPrefix(base, "webhook-") && !strings.HasPrefix(base, "admission-policies")
}

func goldenYAML(res Result, kkp bool) []byte {
	var own Result
	for _, m := range res.Manifests {
		if ownedByRenderer(m) || kkp && path.Base(m.Source) == "admission-policies-kkp-location.yaml" {
			own.Manifests = append(own.Manifests, m)
		}
	}
	return own.YAML()
}

// TestGolden renders every case and compares the objects from the
// renderer's own templates with testdata/<case>/golden.yaml (go test
// ./renderer -run TestGolden -update rewrites them). It also checks that
// the CRDs come first and rendering is byte-for-byte repeatable.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in := loadCase(t, tc.name)
			r, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var lc Lifecycle
			if p, ok := KKPPreviousLocation(in); ok && tc.kkpMigrate {
				lc.Previous = []PreviousLocation{p}
			}
			res, err := r.RenderLifecycle(context.Background(), in, lc)
			if err != nil {
				t.Fatal(err)
			}
			checkCRDsFirst(t, res)
			again, err := r.RenderLifecycle(context.Background(), in, lc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.YAML(), again.YAML()) {
				t.Fatal("two renders of the same input differ")
			}
			got := goldenYAML(res, tc.kkpMigrate)
			file := filepath.Join("testdata", tc.name, "golden.yaml")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs from the render (rerun with -update if intended):\n%s", file, lineDiff(string(want), string(got)))
			}
		})
	}
}

func checkCRDsFirst(t *testing.T, res Result) {
	t.Helper()
	n := 0
	for i, m := range res.Manifests {
		if m.Kind == "CustomResourceDefinition" {
			if i != n {
				t.Fatalf("CRD %s at position %d after other objects", m.Name, i)
			}
			n++
		}
	}
	if n != 13 {
		t.Fatalf("%d CRDs, want Velero's 13", n)
	}
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			lo := max(0, i-3)
			var b strings.Builder
			for j := lo; j < i; j++ {
				b.WriteString("  " + w[j] + "\n")
			}
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
			return b.String()
		}
	}
	return "(no line differs)"
}
