package renderer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestESOExample checks the External Secrets Operator example
// (examples/eso): kubeconform -strict against ESO v0.16.2's CRDs and
// Kubernetes v1.37.2 with nothing skipped; the ClusterSecretStore serves
// only the Velero namespace (conditions), the namespace the ExternalSecret
// rendered for it lives in; the seed identity may get exactly the
// credential Secret of the example cluster's CBSL (#29 item 7).
func TestESOExample(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(), "examples", "eso")
	var stream []byte
	var objs []*unstructured.Unstructured
	for _, f := range []string{"clustersecretstore.yaml", "seed-reader.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(append(stream, b...), []byte("\n---\n")...)
		for _, doc := range bytes.Split(b, []byte("\n---\n")) {
			var u unstructured.Unstructured
			if err := yaml.Unmarshal(doc, &u.Object); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			objs = append(objs, &u)
		}
	}
	out, err := kubeconform(t, stream)
	if want := fmt.Sprintf("Valid: %d, Invalid: 0, Errors: 0, Skipped: 0", len(objs)); err != nil || !strings.Contains(out, want) {
		t.Fatalf("kubeconform: %v\n%s\nwant %q", err, out, want)
	}

	// The ExternalSecret the renderer makes for this store.
	r, err := New(Options{Credentials: CredentialsExternalSecret, ExternalSecretStore: SecretStoreRef{Name: "seed-kubermatic"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), loadCase(t, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	esNS := ""
	for _, m := range res.Manifests {
		if m.Kind == "ExternalSecret" {
			esNS = m.Namespace
		}
	}
	if esNS == "" {
		t.Fatal("no ExternalSecret rendered")
	}

	var cbsl kkpv1.ClusterBackupStorageLocation
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "kkp", "cbsl-backups-eu.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &cbsl); err != nil {
		t.Fatal(err)
	}
	for _, u := range objs {
		switch u.GetKind() {
		case "ClusterSecretStore":
			conds, _, _ := unstructured.NestedSlice(u.Object, "spec", "conditions")
			if len(conds) != 1 {
				t.Fatalf("store %s: %d conditions, want exactly one naming the Velero namespace", u.GetName(), len(conds))
			}
			c := conds[0].(map[string]any)
			ns, _, _ := unstructured.NestedStringSlice(c, "namespaces")
			if !slices.Equal(ns, []string{esNS}) || len(c) != 1 {
				t.Fatalf("store %s: condition %v, want only namespaces [%s] (no selector or regex that could admit another namespace)", u.GetName(), c, esNS)
			}
		case "Role":
			var role rbacv1.Role
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &role); err != nil {
				t.Fatal(err)
			}
			want := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{cbsl.Spec.Credential.Name}, Verbs: []string{"get"}}}
			if fmt.Sprint(role.Rules) != fmt.Sprint(want) || role.Namespace != cbsl.Namespace {
				t.Fatalf("role %s/%s: rules %v, want exactly get on secret %s/%s", role.Namespace, role.Name, role.Rules, cbsl.Namespace, cbsl.Spec.Credential.Name)
			}
		}
	}
}
