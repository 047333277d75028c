package renderer

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// optionVariants exercise the options the golden cases leave at defaults.
var optionVariants = map[string]Options{
	"namespace-and-bsl": {Namespace: "backup-system", BSLName: "managed"},
	"registry-and-tags": {Registry: "mirror.example:5000/", VeleroTag: "v1.18.2", PluginTag: "v1.14.2"},
	"digests":           {VeleroDigest: "sha256:" + strings.Repeat("ab", 32), PluginTag: "v1.14.2", PluginDigest: "sha256:" + strings.Repeat("0f", 32)},
	"no-node-agent":     {DisableNodeAgent: true, Schedules: map[string]Schedule{"nightly": {Schedule: "0 1 * * *"}}},
	"existing-secret":   {CredentialsSecret: "cluster-s3", Values: map[string]any{"server": map[string]any{"features": []any{"EnableCSI"}}}},
	"inline-named":      {Credentials: CredentialsInline, CredentialsSecret: "inline-s3"},
	// The webhook with the API server's client CA and its NetworkPolicy
	// (without cert-manager, whose kinds kubeconform has no schema for).
	"webhook-client-ca": {Values: map[string]any{"webhook": map[string]any{
		"enabled":       true,
		"tls":           map[string]any{"caBundle": "Y2E=", "certManager": map[string]any{"enabled": false}},
		"clientCA":      map[string]any{"configMapName": "apiserver-client-ca"},
		"networkPolicy": map[string]any{"metricsFrom": []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "monitoring"}}}}},
	}}},
}

// TestOptionVariants renders each variant, checks what the option must
// change, and compares the object set with the real helm CLI on the same
// values.
func TestOptionVariants(t *testing.T) {
	helm := testenv.MustTool(t, "helm")
	chartDir := filepath.Join(testenv.RepoRoot(), "charts", "velero-managed")
	checks := map[string][]string{
		"namespace-and-bsl": {"namespace: backup-system", "--default-backup-storage-location=managed", "name: velero-backup-system", "  name: managed\n"},
		"registry-and-tags": {"image: mirror.example:5000/velero/velero:v1.18.2", "image: mirror.example:5000/velero/velero-plugin-for-aws:v1.14.2"},
		"digests": {"image: docker.io/velero/velero:v1.18.3@sha256:" + strings.Repeat("ab", 32),
			"image: docker.io/velero/velero-plugin-for-aws:v1.14.2@sha256:" + strings.Repeat("0f", 32)},
		"existing-secret":   {"secretName: cluster-s3", "--features=EnableCSI"},
		"inline-named":      {"kind: Secret\nmetadata:\n  name: inline-s3", "secretName: inline-s3"},
		"webhook-client-ca": {"--client-ca-name=client-ca.crt", "name: apiserver-client-ca", "path: client-ca.crt", "kind: NetworkPolicy", "port: webhook", "port: metrics", "kubernetes.io/metadata.name: monitoring"},
	}
	for name, opts := range optionVariants {
		t.Run(name, func(t *testing.T) {
			in := loadCase(t, "plain")
			if opts.Credentials == CredentialsInline {
				in = loadCase(t, "inline-credentials")
			}
			r, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			out := string(res.YAML())
			for _, want := range checks[name] {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			if name == "no-node-agent" {
				for _, m := range res.Manifests {
					if m.Kind == "DaemonSet" || (m.Kind == "Schedule" && strings.Contains(string(m.YAML), "defaultVolumesToFsBackup")) {
						t.Errorf("%s %s: node-agent or FS backup default rendered although disabled", m.Kind, m.Name)
					}
				}
			}
			if name == "registry-and-tags" && strings.Contains(out, "docker.io") {
				t.Error("an image still comes from docker.io")
			}

			b, err := yaml.Marshal(mustValues(t, in, opts))
			if err != nil {
				t.Fatal(err)
			}
			valuesFile := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(valuesFile, b, 0o600); err != nil {
				t.Fatal(err)
			}
			ns := opts.Namespace
			if ns == "" {
				ns = "velero"
			}
			args := append([]string{"template", ReleaseName, chartDir, "--namespace", ns, "--include-crds", "-f", valuesFile}, HelmTemplateArgs(opts)...)
			cmd := exec.Command(helm, args...)
			cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
			helmOut, err := cmd.Output()
			if err != nil {
				t.Fatalf("helm: %v\n%s", err, exitStderr(err))
			}
			lib, err := res.Objects()
			if err != nil {
				t.Fatal(err)
			}
			testenv.CompareObjectSets(t, "helm template vs library", objectSet(t, parseStream(t, helmOut)), objectSet(t, lib))
		})
	}
}

// TestEveryObjectLabelled: every templated object of every case carries the
// managed-by, part-of, project and cluster labels; the CRDs the managed-by
// label. (The issue: managed-by and project/cluster labels on every object.)
func TestEveryObjectLabelled(t *testing.T) {
	for _, tc := range goldenCases {
		r, err := New(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		in := loadCase(t, tc.name)
		res, err := r.Render(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := res.Objects()
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			l := o.GetLabels()
			if l["app.kubernetes.io/managed-by"] != "clusterbackup" {
				t.Errorf("%s: %s %s lacks the managed-by label", tc.name, o.GetKind(), o.GetName())
			}
			if o.GetKind() == "CustomResourceDefinition" {
				continue
			}
			if l["clusterbackup.io/project-id"] != in.ProjectID() || l["clusterbackup.io/cluster-id"] != in.ClusterID() || l["app.kubernetes.io/part-of"] != "velero-managed" {
				t.Errorf("%s: %s %s labels %v", tc.name, o.GetKind(), o.GetName(), l)
			}
		}
	}
}

// TestSchemaEnforced: values that break values.schema.json are refused on
// both render paths, with Helm's wording and the offending property.
func TestSchemaEnforced(t *testing.T) {
	opts := Options{Values: map[string]any{"server": map[string]any{"uploaderType": "restic"}, "typo": true}}
	for _, noCache := range []bool{false, true} {
		r, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		r.noCache = noCache
		_, err = r.Render(context.Background(), loadCase(t, "plain"))
		if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") ||
			!strings.Contains(err.Error(), "uploaderType") || !strings.Contains(err.Error(), "'typo' not allowed") {
			t.Fatalf("noCache=%v: err = %v", noCache, err)
		}
	}
}

// TestValuesCannotSetComputedKeys: extra values may not move a cluster to
// another cluster's prefix, nor break the renderer with a wrong type.
func TestValuesCannotSetComputedKeys(t *testing.T) {
	for _, v := range []map[string]any{
		{"cluster": map[string]any{"id": "other"}},
		{"cluster": map[string]any{"id": 7}},
		{"storage": map[string]any{"prefix": "elsewhere"}},
	} {
		_, err := New(Options{Values: v})
		if err == nil || !strings.Contains(err.Error(), "is computed from the Cluster and its ClusterBackupStorageLocation") {
			t.Errorf("New(values %v): err = %v", v, err)
		}
		if _, err := Values(loadCase(t, "plain"), Options{Values: v}); err == nil {
			t.Errorf("Values(values %v) accepted", v)
		}
	}
}

// TestKKPPreviousLocation: a cluster from KKP's own controller keeps its
// old location <project>/<cluster> as the read-only BSL KKP named, unless
// the CBSL has no prefix (then both layouts are one location).
func TestKKPPreviousLocation(t *testing.T) {
	in := loadCase(t, "plain")
	p, ok := KKPPreviousLocation(in)
	if !ok || p.BSLName() != KKPBSLName || p.CBSL.Spec.ObjectStorage.Prefix != "" || in.CBSL.Spec.ObjectStorage.Prefix == "" {
		t.Fatalf("KKPPreviousLocation = %+v, %v (input prefix %q)", p, ok, in.CBSL.Spec.ObjectStorage.Prefix)
	}
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.RenderLifecycle(context.Background(), in, Lifecycle{Previous: []PreviousLocation{p}})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, m := range res.Manifests {
		if m.Kind == "BackupStorageLocation" && m.Name == KKPBSLName {
			found = strings.Contains(string(m.YAML), `prefix: "`+in.ProjectID()+"/"+in.ClusterID()+`"`) && strings.Contains(string(m.YAML), "accessMode: ReadOnly")
		}
	}
	if !found {
		t.Fatal("no read-only BSL " + KKPBSLName + " on <project>/<cluster>")
	}
	in.CBSL = in.CBSL.DeepCopy()
	in.CBSL.Spec.ObjectStorage.Prefix = ""
	if _, ok := KKPPreviousLocation(in); ok {
		t.Fatal("a CBSL without prefix needs no previous location")
	}
}
