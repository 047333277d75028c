package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/renderer"
)

const renderCBSL = `apiVersion: kubermatic.k8c.io/v1
kind: ClusterBackupStorageLocation
metadata:
  name: loc
  namespace: kubermatic
  labels:
    project-id: proj1
spec:
  provider: aws
  objectStorage:
    bucket: bucket
    prefix: seed
  config:
    region: eu-central-1
  credential:
    name: loc-credentials
`

func renderCluster(name string) string {
	return "---\napiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: " + name +
		"\n  labels:\n    project-id: proj1\nspec:\n  backupConfig:\n    backupStorageLocation:\n      name: loc\n"
}

// TestRenderExamplesByDefault: without -f the bundled example fleet is
// rendered (make run), one release per cluster, in cluster-ID order.
func TestRenderExamplesByDefault(t *testing.T) {
	out, stderr, code := runCLI(t, "", nil, "render")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Fatalf("stderr is not a terminal, yet got %q", stderr)
	}
	var order []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# cluster ") {
			order = append(order, strings.Fields(line)[2])
		}
	}
	if strings.Join(order, ",") != "m2vd8s5ptc,r7tqz9d2wk,xkc6lgmfsn" {
		t.Fatalf("clusters %v", order)
	}
	for _, p := range []string{`prefix: "q4mh2x8vbn/m2vd8s5ptc"`, `prefix: "seed-eu/jnpllgp66z/r7tqz9d2wk"`, `prefix: "seed-eu/jnpllgp66z/xkc6lgmfsn"`} {
		if !strings.Contains(out, p) {
			t.Errorf("output lacks %s", p)
		}
	}
}

// TestRenderSummary: `render --summary` (make run) prints, after the YAML
// and on stderr only, one row per cluster with its project, object counts and
// prefix, and the warnings — stdout is the same as without it.
func TestRenderSummary(t *testing.T) {
	plain, _, _ := runCLI(t, "", nil, "render")
	out, stderr, code := runCLI(t, "", nil, "render", "--summary")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if out != plain {
		t.Fatal("--summary changed stdout")
	}
	if !strings.Contains(stderr, "summary: 3 clusters, ") || !strings.Contains(stderr, "warnings: none") {
		t.Fatalf("stderr lacks the totals or the warnings line:\n%s", stderr)
	}
	for _, row := range [][]string{
		{"m2vd8s5ptc", "q4mh2x8vbn", "enable", "q4mh2x8vbn/m2vd8s5ptc"},
		{"r7tqz9d2wk", "jnpllgp66z", "enable", "seed-eu/jnpllgp66z/r7tqz9d2wk"},
		{"xkc6lgmfsn", "jnpllgp66z", "enable", "seed-eu/jnpllgp66z/xkc6lgmfsn"},
	} {
		found := false
		for _, line := range strings.Split(stderr, "\n") {
			f := strings.Fields(line)
			if len(f) == 6 && f[0] == row[0] && f[1] == row[1] && f[2] == row[2] && f[5] == row[3] && f[3] != "0" && f[4] != "0" {
				found = true
			}
		}
		if !found {
			t.Errorf("no summary row %v with object and CRD counts in:\n%s", row, stderr)
		}
	}

}

// TestRenderKKPMigrateWarns: `render --kkp-migrate` for a Kubernetes
// version without MutatingAdmissionPolicy (and no webhook) warns on stderr
// that Backups naming KKP's BSL will be denied, and renders the policy that
// denies them; for one with it, no warning and the mapping instead.
func TestRenderKKPMigrateWarns(t *testing.T) {
	in := renderCBSL + renderCluster("c1")
	out, stderr, code := runCLI(t, in, nil, "render", "-f", "-", "--kkp-migrate", "--kube-version", "v1.35.4")
	want := renderer.KKPLocationWarning("c1", "default", "v1.35.4")
	if code != 0 || !strings.Contains(stderr, "warning: "+want+"\n") || !strings.Contains(out, "name: "+renderer.KKPLocationPolicy+"\n") {
		t.Fatalf("code %d, stderr %q; want the warning %q and the policy %s", code, stderr, want, renderer.KKPLocationPolicy)
	}
	out, stderr, code = runCLI(t, in, nil, "render", "-f", "-", "--kkp-migrate")
	if code != 0 || stderr != "" || !strings.Contains(out, "name: clusterbackup-backups-kkp-location\n") || strings.Contains(out, "name: "+renderer.KKPLocationPolicy+"\n") {
		t.Fatalf("Kubernetes %s: code %d, stderr %q; want no warning and the mapping", renderer.DefaultKubeVersion, code, stderr)
	}
}

// TestRenderStdinJSON reads inputs from stdin and writes one v1 List per
// cluster.
func TestRenderStdinJSON(t *testing.T) {
	out, stderr, code := runCLI(t, renderCBSL+renderCluster("c1")+renderCluster("c2"), nil, "render", "-f", "-", "--format", "json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var prefixes []string
	for dec.More() {
		var list struct {
			Kind  string `json:"kind"`
			Items []struct {
				Kind string `json:"kind"`
				Spec struct {
					ObjectStorage struct{ Prefix string } `json:"objectStorage"`
				} `json:"spec"`
			} `json:"items"`
		}
		if err := dec.Decode(&list); err != nil {
			t.Fatal(err)
		}
		for _, it := range list.Items {
			if it.Kind == "BackupStorageLocation" {
				prefixes = append(prefixes, it.Spec.ObjectStorage.Prefix)
			}
		}
	}
	if strings.Join(prefixes, ",") != "seed/proj1/c1,seed/proj1/c2" {
		t.Fatalf("prefixes %v", prefixes)
	}
}

// TestRenderDir writes one folder per cluster and replaces earlier output
// as a whole.
func TestRenderDir(t *testing.T) {
	in := filepath.Join(t.TempDir(), "fleet")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	writeRenderFile(t, filepath.Join(in, "cbsl.yaml"), renderCBSL)
	writeRenderFile(t, filepath.Join(in, "clusters.yaml"), renderCluster("c1")+renderCluster("c2"))
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runCLI(t, "", nil, "render", "-f", in, "-o", out); code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	for _, c := range []string{"c1", "c2"} {
		b, err := os.ReadFile(filepath.Join(out, c, "velero-managed.yaml"))
		if err != nil || !bytes.Contains(b, []byte(`prefix: "seed/proj1/`+c+`"`)) {
			t.Fatalf("%s: %v", c, err)
		}
		crds, err := os.ReadFile(filepath.Join(out, c, "crds.yaml"))
		if err != nil || bytes.Count(crds, []byte("kind: CustomResourceDefinition")) != 13 {
			t.Fatalf("%s crds: %v", c, err)
		}
	}
	// A second run with one cluster replaces the folder: c2 is gone.
	writeRenderFile(t, filepath.Join(in, "clusters.yaml"), renderCluster("c1"))
	if _, stderr, code := runCLI(t, "", nil, "render", "-f", in, "-o", out); code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "c2")); !os.IsNotExist(err) {
		t.Fatalf("c2 survived the replacement: %v", err)
	}
	assertNoRenderTemp(t, filepath.Dir(out))
}

// TestRenderDirNothingHalfWritten: a failing run leaves the output folder as
// it was and no temporary folder behind.
func TestRenderDirNothingHalfWritten(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.yaml")
	writeRenderFile(t, in, renderCBSL+renderCluster("c1"))
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runCLI(t, "", nil, "render", "-f", in, "-o", out); code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	before, err := os.ReadFile(filepath.Join(out, "c1", "velero-managed.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	// A run cancelled mid-way fails and leaves the old output.
	writeRenderFile(t, in, renderCBSL+renderCluster("c1")+renderCluster("c2"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, streams{In: strings.NewReader(""), Out: &stdout, Err: &stderr, Getenv: func(string) string { return "" }}, []string{"render", "-f", in, "-o", out})
	if code != 1 || !strings.Contains(stderr.String(), "context canceled") {
		t.Fatalf("code %d: %s", code, stderr.String())
	}
	after, err := os.ReadFile(filepath.Join(out, "c1", "velero-managed.yaml"))
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("old output changed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "c2")); !os.IsNotExist(err) {
		t.Fatal("a cancelled run wrote c2")
	}
	assertNoRenderTemp(t, filepath.Dir(out))

	// Invalid input: nothing is created at all.
	writeRenderFile(t, in, renderCBSL+renderCluster("Bad_ID"))
	fresh := filepath.Join(t.TempDir(), "fresh")
	_, serr, code := runCLI(t, "", nil, "render", "-f", in, "-o", fresh)
	if code != 1 || !strings.Contains(serr, "in.yaml#2") || !strings.Contains(serr, "metadata.name") {
		t.Fatalf("code %d: %s", code, serr)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Fatal("a failed run created the output folder")
	}
}

// TestRenderDirRefusesForeignFolder: -o never replaces a folder that holds
// anything but render output.
func TestRenderDirRefusesForeignFolder(t *testing.T) {
	out := t.TempDir()
	writeRenderFile(t, filepath.Join(out, "notes.txt"), "mine")
	_, stderr, code := runCLI(t, "", nil, "render", "-o", out)
	if code != 1 || !strings.Contains(stderr, "refusing to replace") {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatal("foreign file touched")
	}
}

// TestRenderFlags covers the overlay, registry and usage errors.
func TestRenderFlags(t *testing.T) {
	out, stderr, code := runCLI(t, "", nil, "render", "--overlay", "air-gap")
	if code != 0 || !strings.Contains(out, "image: registry.airgap.internal/velero/velero:v1.18.3") || strings.Contains(out, "docker.io/velero") {
		t.Fatalf("air-gap: code %d: %s", code, stderr)
	}
	out, _, code = runCLI(t, "", nil, "render", "--registry", "mirror.example/", "--kube-version", "v1.36.0")
	if code != 0 || !strings.Contains(out, "image: mirror.example/velero/velero:v1.18.3") || strings.Contains(out, "docker.io") {
		t.Fatalf("registry: code %d", code)
	}
	for _, args := range [][]string{{"--format", "xml"}, {"--credentials", "plain"}, {"extra"}, {"--nope"}} {
		if _, stderr, code := runCLI(t, "", nil, append([]string{"render"}, args...)...); code != 2 {
			t.Errorf("%v: code %d, want 2: %s", args, code, stderr)
		}
	}
	// Release settings are validated by settings.Params, as in the Argo CD
	// plugin, the KRM function and the release loop; the error names the flag.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--overlay", "nope"}, `parameter overlay="nope" (from --overlay): unknown overlay; known overlays: `},
		{[]string{"--velero-version", "v1.17.0"}, `parameter veleroVersion="v1.17.0" (from --velero-version): must stay in v1.18.x`},
		{[]string{"--registry", "mirror.example@sha256"}, `(from --registry): must be a registry host`},
		{[]string{"--credentials", "external-secret"}, `(from --external-secret-store): is required with credentials externalSecret`},
		{[]string{"--external-secret-store", "s"}, `(from --external-secret-store): needs credentials externalSecret`},
		{[]string{"--external-secret-store-kind", "Vault"}, `--external-secret-store-kind must be ClusterSecretStore or SecretStore`},
	} {
		if _, stderr, code := runCLI(t, "", nil, append([]string{"render"}, tc.args...)...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: code %d, want 2 and %q: %s", tc.args, code, tc.want, stderr)
		}
	}
	out, stderr, code = runCLI(t, "", nil, "render", "--velero-version", "v1.18.2", "--no-node-agent")
	if code != 0 || !strings.Contains(out, "image: docker.io/velero/velero:v1.18.2") || strings.Contains(out, "kind: DaemonSet") {
		t.Errorf("--velero-version v1.18.2 --no-node-agent: code %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, "", nil, "render", "--credentials", "inline"); code != 1 || !strings.Contains(stderr, "spec.credential.name: Not found") {
		t.Errorf("inline without secret: code %d: %s", code, stderr)
	}
}

func writeRenderFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertNoRenderTemp(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary folder %s left behind", e.Name())
		}
	}
}

// TestRenderValuesFile: --values adds chart values (here a Schedule and
// node-agent resources) to every cluster; a schema violation is an error.
func TestRenderValuesFile(t *testing.T) {
	dir := t.TempDir()
	vf := filepath.Join(dir, "values.yaml")
	writeRenderFile(t, vf, "schedules:\n  daily:\n    schedule: \"0 2 * * *\"\nnodeAgent:\n  resources:\n    limits:\n      memory: 2Gi\n")
	out, stderr, code := runCLI(t, "", nil, "render", "--values", vf)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if strings.Count(out, "\nkind: Schedule\n") != 3 || !strings.Contains(out, "memory: 2Gi") {
		t.Fatal("values file not applied to every cluster")
	}
	writeRenderFile(t, vf, "server:\n  uploaderType: restic\n")
	if _, stderr, code := runCLI(t, "", nil, "render", "--values", vf); code != 1 || !strings.Contains(stderr, "uploaderType") {
		t.Fatalf("code %d: %s", code, stderr)
	}
}
