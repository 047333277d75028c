package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// templateDefaults are the only Schedule template fields the webhook sets.
var templateDefaults = map[string]bool{"ttl": true, "storageLocation": true, "defaultVolumesToFsBackup": true}

// TestOperatorFeedback drives, through the real kube-apiserver, what an
// operator meets: Schedule patches that keep what the webhook does not know
// (a CRD newer than the webhook), corrections that are warned, and a
// misnamed managed BSL that is reported as such.
func TestOperatorFeedback(t *testing.T) {
	e := startEnvWith(t, envOptions{capture: true})
	ctx := context.Background()
	gitops, alice := e.clients[applier], e.clients[alice]

	t.Run("managed BSL under another name: the message names the misconfiguration", func(t *testing.T) {
		// The webhook runs with the default --managed-bsl-name (default);
		// this cluster's managed BSL was rendered as kkp-managed.
		b := fixtures.BSL("kkp-managed", "backups", "https://s3.example.com", "kkp/p1/c1", fixtures.Default)
		err := gitops.Create(ctx, b)
		denied(t, "managed BSL under another name", err,
			`spec.default: Forbidden: only the managed BSL "default" may be the default in this cluster, and no BSL "default" exists`,
			"--managed-bsl-name=kkp-managed")
		if strings.Contains(err.Error(), "is already the default") {
			t.Fatalf("error %q blames a default BSL that does not exist", err)
		}
	})

	t.Run("the managed BSL's default:false is corrected with a warning", func(t *testing.T) {
		testenv.Must(t, gitops.Create(ctx, fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1/", fixtures.Default)))
		if w := e.warnings[applier].Take(); !strings.Contains(w, `spec.objectStorage.prefix of the managed BSL "default": the trailing "/" was removed`) {
			t.Fatalf("warnings %q, want the trailing / correction", w)
		}
		// kubectl patch bsl default -p '{"spec":{"default":false}}'
		var got velerov1.BackupStorageLocation
		testenv.Must(t, gitops.Get(ctx, key("default"), &got))
		testenv.Must(t, gitops.Patch(ctx, &got, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"default":false}}`))))
		w := e.warnings[applier].Take()
		if !strings.Contains(w, `spec.default set to true: the managed BSL "default" is always this cluster's default`) {
			t.Fatalf("warnings %q, want one saying default stays true", w)
		}
		testenv.Must(t, e.admin.Get(ctx, key("default"), &got))
		if !got.Spec.Default {
			t.Fatal("the managed BSL lost default")
		}
	})

	t.Run("schedule templates keep fields the webhook does not know", func(t *testing.T) {
		addTemplateField(t, e, "futureField")
		cases := map[string]map[string]any{
			"minimal":           {"includedNamespaces": []any{"app"}},
			"empty":             {},
			"only unknown":      {"futureField": "keep"},
			"velero CLI shaped": {"includedNamespaces": []any{"app"}, "ttl": "0s", "csiSnapshotTimeout": "0s", "itemOperationTimeout": "0s", "futureField": "keep"},
			"complete":          {"ttl": "1h0m0s", "storageLocation": "default", "defaultVolumesToFsBackup": false, "futureField": "keep"},
			"nested unknown":    {"metadata": map[string]any{"labels": map[string]any{"a": "b"}}, "hooks": map[string]any{}, "futureField": "keep"},
		}
		for _, name := range slices.Sorted(maps.Keys(cases)) {
			tmpl := cases[name]
			s := schedule(strings.ToLower(strings.ReplaceAll(name, " ", "-")), tmpl)
			sent := s.DeepCopy()
			eventually(t, "create "+name, func() error { return alice.Create(ctx, s) })
			stored := &unstructured.Unstructured{}
			stored.SetGroupVersionKind(s.GroupVersionKind())
			testenv.Must(t, e.admin.Get(ctx, key(s.GetName()), stored))
			checkOnlyDefaults(t, name, templateOf(t, sent), templateOf(t, stored))
		}
		// A spec-changing UPDATE (the mutating webhook runs again) keeps
		// the unknown field and patches nothing already set.
		s := &unstructured.Unstructured{}
		s.SetGroupVersionKind(schedule("x", nil).GroupVersionKind())
		testenv.Must(t, alice.Get(ctx, key("only-unknown"), s))
		testenv.Must(t, unstructured.SetNestedField(s.Object, "@every 12h", "spec", "schedule"))
		testenv.Must(t, alice.Update(ctx, s))
		testenv.Must(t, e.admin.Get(ctx, key("only-unknown"), s))
		if v, _, _ := unstructured.NestedString(s.Object, "spec", "template", "futureField"); v != "keep" {
			t.Fatalf("futureField after an update = %q, want keep", v)
		}
	})

	t.Run("the patch of every captured Schedule review touches only the fields it defaults", func(t *testing.T) {
		reviews := e.reviews.all(user.MutateSchedulePath)
		if len(reviews) < 7 {
			t.Fatalf("captured %d Schedule reviews, want at least 7", len(reviews))
		}
		patched := 0
		for _, r := range reviews {
			name := r.Request.Request.Name
			var ops []struct{ Op, Path string }
			if p := r.Response.Response.Patch; len(p) > 0 {
				testenv.Must(t, json.Unmarshal(p, &ops))
				patched++
			}
			for _, op := range ops {
				field, ok := strings.CutPrefix(op.Path, "/spec/template/")
				if op.Op != "add" || !ok || !templateDefaults[field] {
					t.Errorf("Schedule %q %s: patch op %s %s touches more than a defaulted field", name, r.Request.Request.Operation, op.Op, op.Path)
				}
			}
		}
		if patched == 0 {
			t.Fatal("no captured Schedule review was patched")
		}
	})
}

// schedule returns a Schedule with the given template as unstructured, so
// members the Go types do not know are sent.
func schedule(name string, tmpl map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Schedule",
		"metadata": map[string]any{"name": name, "namespace": "velero"},
		"spec":     map[string]any{"schedule": "@daily", "template": tmpl},
	}}
	return u
}

func templateOf(t *testing.T, u *unstructured.Unstructured) map[string]any {
	t.Helper()
	m, _, err := unstructured.NestedMap(u.Object, "spec", "template")
	testenv.Must(t, err)
	return m
}

// checkOnlyDefaults asserts that stored differs from sent only by defaults
// filled where sent had none (a zero ttl the velero CLI sends counts as
// none).
func checkOnlyDefaults(t *testing.T, name string, sent, stored map[string]any) {
	t.Helper()
	for k, v := range sent {
		if k == "ttl" && v == "0s" {
			continue
		}
		if !reflect.DeepEqual(stored[k], v) {
			t.Errorf("%s: template.%s = %v stored, %v sent", name, k, stored[k], v)
		}
	}
	for k, v := range stored {
		if _, ok := sent[k]; ok && !(k == "ttl" && sent[k] == "0s") {
			continue
		}
		if !templateDefaults[k] {
			t.Errorf("%s: template.%s = %v stored, which nobody set", name, k, v)
		}
	}
	for k := range templateDefaults {
		if _, ok := stored[k]; !ok {
			t.Errorf("%s: template.%s not defaulted", name, k)
		}
	}
}

// addTemplateField adds a string field to the Schedule CRD's template
// schema, as a Velero upgrade that precedes the webhook's would, and waits
// until the API server keeps it.
func addTemplateField(t *testing.T, e *env, field string) {
	t.Helper()
	ctx := context.Background()
	crd := &unstructured.Unstructured{}
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	crd.SetKind("CustomResourceDefinition")
	testenv.Must(t, e.admin.Get(ctx, client.ObjectKey{Name: "schedules.velero.io"}, crd))
	versions, _, err := unstructured.NestedSlice(crd.Object, "spec", "versions")
	testenv.Must(t, err)
	for i, v := range versions {
		vm := v.(map[string]any)
		path := []string{"schema", "openAPIV3Schema", "properties", "spec", "properties", "template", "properties", field}
		testenv.Must(t, unstructured.SetNestedField(vm, map[string]any{"type": "string"}, path...))
		versions[i] = vm
	}
	testenv.Must(t, unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions"))
	testenv.Must(t, e.admin.Update(ctx, crd))
	eventually(t, "the CRD keeps "+field, func() error {
		s := schedule("probe", map[string]any{field: "x", "storageLocation": "default", "ttl": "1h0m0s", "defaultVolumesToFsBackup": true})
		if err := e.admin.Create(ctx, s, client.DryRunAll); err != nil {
			return err
		}
		if v, _, _ := unstructured.NestedString(s.Object, "spec", "template", field); v != "x" {
			return fmt.Errorf("%s pruned", field)
		}
		return nil
	})
}
