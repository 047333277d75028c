package renderer

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// oldCBSL returns a copy of the plain case's CBSL as it was before a
// storage switch: another name and prefix, same bucket and endpoint.
func oldCBSL(in Input, name, pfx string) *kkpv1.ClusterBackupStorageLocation {
	c := in.CBSL.DeepCopy()
	c.Name = name
	c.Spec.ObjectStorage.Prefix = pfx
	return c
}

func renderLC(t *testing.T, opts Options, in Input, lc Lifecycle) []*unstructured.Unstructured {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.RenderLifecycle(context.Background(), in, lc)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := res.Objects()
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func kinds(objs []*unstructured.Unstructured) map[string]int {
	m := map[string]int{}
	for _, o := range objs {
		m[o.GetKind()]++
	}
	return m
}

func TestZeroLifecycleIsRender(t *testing.T) {
	in := loadCase(t, "schedules")
	opts := goldenOpts(t, "schedules")
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.Render(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.RenderLifecycle(context.Background(), in, Lifecycle{})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.YAML()) != string(b.YAML()) {
		t.Fatal("RenderLifecycle with the zero Lifecycle differs from Render")
	}
}

func TestPreviousLocationIsReadOnlyOnOldPrefix(t *testing.T) {
	in := loadCase(t, "plain")
	prev := oldCBSL(in, "backups-old", "legacy/eu")
	objs := renderLC(t, Options{}, in, Lifecycle{Previous: []PreviousLocation{{CBSL: prev}}})
	b := find(objs, "BackupStorageLocation", "previous-backups-old")
	if b == nil {
		t.Fatal("no BSL previous-backups-old rendered")
	}
	want := map[string]any{
		"spec.accessMode":                                "ReadOnly",
		"spec.default":                                   false,
		"spec.objectStorage.bucket":                      "kkp-backups",
		"spec.objectStorage.prefix":                      "legacy/eu/jnpllgp66z/r7tqz9d2wk",
		"spec.config.s3Url":                              "https://s3.eu.example.com",
		"metadata.annotations.helm\\.sh/resource-policy": "keep",
	}
	for path, v := range want {
		got, ok, _ := unstructured.NestedFieldNoCopy(b.Object, splitPath(path)...)
		if !ok || got != v {
			t.Errorf("%s = %v, want %v", path, got, v)
		}
	}
	ann := b.GetAnnotations()
	if ann["argocd.argoproj.io/sync-options"] != "Prune=false" || ann["kustomize.toolkit.fluxcd.io/prune"] != "disabled" || ann["argocd.argoproj.io/sync-wave"] != "5" {
		t.Errorf("previous BSL lacks prune-safety or sync wave: %v", ann)
	}
	if d, _, _ := unstructured.NestedBool(find(objs, "BackupStorageLocation", "default").Object, "spec", "default"); !d {
		t.Error("the managed BSL is no longer the default")
	}
	var defaults int
	for _, o := range objs {
		if o.GetKind() == "BackupStorageLocation" {
			if d, _, _ := unstructured.NestedBool(o.Object, "spec", "default"); d {
				defaults++
			}
		}
	}
	if defaults != 1 {
		t.Errorf("%d default BSLs, want 1", defaults)
	}
	// The API server's own BSL policy must admit it: same bucket and endpoint.
	params := find(objs, "ConfigMap", "clusterbackup-admission-params")
	got, _, _ := unstructured.NestedString(params.Object, "data", "previous.0")
	if got != "kkp-backups\nhttps://s3.eu.example.com:443\nlegacy/eu/jnpllgp66z/r7tqz9d2wk" { // canonical endpoint
		t.Errorf("admission params previous.0 = %q", got)
	}
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(strings.ReplaceAll(p, `\.`, "\x00"), ".") {
		out = append(out, strings.ReplaceAll(s, "\x00", "."))
	}
	return out
}

// TestLifecycleHelmParity: helm template with LifecycleValues gives the
// library's RenderLifecycle, object for object (CRDs included): previous
// locations (the chart computes their prefixes itself) and the disabled
// release are the chart's, so Flux and CI get them too.
func TestLifecycleHelmParity(t *testing.T) {
	testenv.MustTool(t, "helm")
	for name, tc := range map[string]struct {
		golden string
		lc     func(in Input) Lifecycle
	}{
		"previous without prefix": {"plain", func(in Input) Lifecycle {
			return Lifecycle{Previous: []PreviousLocation{{Name: "old", CBSL: oldCBSL(in, "backups-old", "")}}}
		}},
		"disabled": {"schedules", func(in Input) Lifecycle { return Lifecycle{Disabled: true} }},
		"disabled with previous": {"schedules", func(in Input) Lifecycle {
			return Lifecycle{Disabled: true, Previous: []PreviousLocation{{CBSL: oldCBSL(in, "backups-old", "legacy")}}}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			in := loadCase(t, tc.golden)
			opts := goldenOpts(t, tc.golden)
			lc := tc.lc(in)
			vals, err := Values(in, opts)
			if err != nil {
				t.Fatal(err)
			}
			mergeInto(vals, LifecycleValues(lc))
			viaHelm := helmTemplate(t, vals, opts)
			lib := renderLC(t, opts, in, lc)
			testenv.CompareObjectSets(t, "helm template vs library", objectSet(t, viaHelm), objectSet(t, lib))
			if lc.Disabled && find(lib, "Deployment", "velero") != nil {
				t.Error("the disabled release renders the Velero Deployment")
			}
			for _, p := range lc.Previous {
				if bsl := find(lib, "BackupStorageLocation", p.BSLName()); bsl == nil {
					t.Errorf("previous BSL %s missing", p.BSLName())
				} else if pfx, _, _ := unstructured.NestedString(bsl.Object, "spec", "objectStorage", "prefix"); p.CBSL.Spec.ObjectStorage.Prefix == "" && pfx != "jnpllgp66z/r7tqz9d2wk" {
					t.Errorf("prefix of a previous CBSL without prefix = %q", pfx)
				}
			}
		})
	}
}

// TestOverlaysTouchOnlyDroppedObjects backs the renderer's skipping of the
// overlay for a disabled release: every object an overlay adds, changes or
// removes is one the disabled release drops.
func TestOverlaysTouchOnlyDroppedObjects(t *testing.T) {
	in := loadCase(t, "schedules")
	base := goldenOpts(t, "schedules")
	base.Values = map[string]any{"webhook": map[string]any{"enabled": true}}
	plain := objectSet(t, renderLC(t, base, in, Lifecycle{}))
	disabled := objectSet(t, renderLC(t, base, in, Lifecycle{Disabled: true}))
	for _, ov := range Overlays() {
		t.Run(ov, func(t *testing.T) {
			opts := base
			opts.Overlay = ov
			withOverlay := objectSet(t, renderLC(t, opts, in, Lifecycle{}))
			all := maps.Clone(plain)
			maps.Copy(all, withOverlay)
			touched := 0
			for key := range all {
				if plain[key] == withOverlay[key] {
					continue
				}
				touched++
				if _, kept := disabled[key]; kept {
					t.Errorf("overlay %s changes %s, which the disabled release keeps", ov, key)
				}
			}
			if touched == 0 {
				t.Errorf("overlay %s changes nothing; the test proves nothing", ov)
			}
		})
	}
}

func TestDisabledKeepsDataDropsWorkloads(t *testing.T) {
	in := loadCase(t, "schedules")
	opts := goldenOpts(t, "schedules")
	opts.Credentials = CredentialsExistingSecret
	prev := oldCBSL(in, "backups-old", "legacy")
	enabled := renderLC(t, opts, in, Lifecycle{Previous: []PreviousLocation{{CBSL: prev}}})
	disabled := renderLC(t, opts, in, Lifecycle{Previous: []PreviousLocation{{CBSL: prev}}, Disabled: true})
	k := kinds(disabled)
	for _, gone := range []string{"Deployment", "DaemonSet", "ServiceAccount", "ClusterRoleBinding", "Secret"} {
		if k[gone] > 0 {
			t.Errorf("disabled release still renders %d %s", k[gone], gone)
		}
	}
	ek := kinds(enabled)
	for _, kept := range []string{"CustomResourceDefinition", "Namespace", "BackupStorageLocation", "Schedule", "ValidatingAdmissionPolicy"} {
		if k[kept] == 0 || k[kept] != ek[kept] {
			t.Errorf("disabled release renders %d %s, enabled %d; want the same, non-zero", k[kept], kept, ek[kept])
		}
	}
	if find(disabled, "ConfigMap", "fs-restore-action-config") != nil || find(disabled, "ConfigMap", "clusterbackup-admission-params") == nil {
		t.Error("want the restore-helper ConfigMap dropped and the admission params kept")
	}
	for _, o := range disabled {
		switch o.GetKind() {
		case "BackupStorageLocation":
			if m, _, _ := unstructured.NestedString(o.Object, "spec", "accessMode"); m != "ReadOnly" {
				t.Errorf("BSL %s accessMode %q, want ReadOnly", o.GetName(), m)
			}
			if o.GetAnnotations()["helm.sh/resource-policy"] != "keep" || o.GetAnnotations()[LifecycleAnnotation] != "disabled" {
				t.Errorf("BSL %s annotations %v", o.GetName(), o.GetAnnotations())
			}
		case "Schedule":
			if p, _, _ := unstructured.NestedBool(o.Object, "spec", "paused"); !p {
				t.Errorf("Schedule %s not paused", o.GetName())
			}
		}
	}
	if r := Diff(enabled, disabled, DiffOptions{}); r.Dangerous() || len(r.Removed) == 0 {
		t.Errorf("enabled -> disabled: dangerous %v, removed %v", r.Dangers, r.Removed)
	}
}

func TestPurgeOnlyWhenDisabled(t *testing.T) {
	in := loadCase(t, "plain")
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.RenderLifecycle(context.Background(), in, Lifecycle{Purge: true})
	if err == nil || !strings.Contains(err.Error(), "lifecycle.purge: Forbidden") {
		t.Fatalf("purge without disabled: %v", err)
	}
	res, err := r.RenderLifecycle(context.Background(), in, Lifecycle{Disabled: true, Purge: true})
	if err != nil || len(res.Manifests) != 0 {
		t.Fatalf("purge: %d manifests, %v", len(res.Manifests), err)
	}
}

func TestLifecycleValidation(t *testing.T) {
	in := loadCase(t, "plain")
	bad := oldCBSL(in, "bad", "a/../b")
	foreign := oldCBSL(in, "foreign", "old")
	foreign.Labels = map[string]string{"project-id": "q4mh2x8vbn"}
	tests := map[string]struct {
		lc   Lifecycle
		want string
	}{
		"managed name":   {Lifecycle{Previous: []PreviousLocation{{Name: "default", CBSL: oldCBSL(in, "x", "old")}}}, "lifecycle.previous[0].name: Invalid value: \"default\""},
		"duplicate":      {Lifecycle{Previous: []PreviousLocation{{Name: "p", CBSL: oldCBSL(in, "x", "a")}, {Name: "p", CBSL: oldCBSL(in, "y", "b")}}}, "lifecycle.previous[1].name: Duplicate value"},
		"no CBSL":        {Lifecycle{Previous: []PreviousLocation{{Name: "p"}}}, "lifecycle.previous[0].cbsl: Required value"},
		"bad prefix":     {Lifecycle{Previous: []PreviousLocation{{CBSL: bad}}}, "lifecycle.previous[0].cbsl.spec.objectStorage.prefix"},
		"same location":  {Lifecycle{Previous: []PreviousLocation{{CBSL: oldCBSL(in, "x", "seed-eu")}}}, "same or nested"},
		"nested":         {Lifecycle{Previous: []PreviousLocation{{CBSL: oldCBSL(in, "x", "seed-eu/jnpllgp66z/r7tqz9d2wk/sub")}}}, "same or nested"},
		"purge, enabled": {Lifecycle{Purge: true}, "lifecycle.purge: Forbidden"},
		"other project":  {Lifecycle{Previous: []PreviousLocation{{CBSL: foreign}}}, `lifecycle.previous[0].cbsl.metadata.labels[project-id]: Forbidden: ClusterBackupStorageLocation "foreign" belongs to project "q4mh2x8vbn", not to the cluster's project "jnpllgp66z"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := tc.lc.Validate(in, Options{})
			if !strings.Contains(errs.ToAggregate().Error(), tc.want) {
				t.Fatalf("got %v, want %q", errs, tc.want)
			}
		})
	}
	other := oldCBSL(in, "x", "seed-eu")
	other.Spec.ObjectStorage.Bucket = "elsewhere"
	if errs := (Lifecycle{Previous: []PreviousLocation{{CBSL: other}}}).Validate(in, Options{}); len(errs) > 0 {
		t.Fatalf("same prefix on another bucket: %v", errs)
	}
}

// goldenOpts returns the options of a golden case.
func goldenOpts(t *testing.T, name string) Options {
	t.Helper()
	for _, tc := range goldenCases {
		if tc.name == name {
			return tc.opts
		}
	}
	t.Fatalf("no golden case %q", name)
	return Options{}
}

// TestPreviousLocationsShareTheCachedShape: clusters that switched from the
// same CBSL share one render shape (the values carry no cluster ID), and the
// cached output equals a full render.
func TestPreviousLocationsShareTheCachedShape(t *testing.T) {
	ins, err := LoadInputsFS(os.DirFS(filepath.Join(testenv.RepoRoot(), "examples")), "fleet")
	if err != nil {
		t.Fatal(err)
	}
	cached, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	full.noCache = true
	n := 0
	for _, in := range ins {
		if in.CBSL.Name != "backups-eu" {
			continue
		}
		n++
		lc := Lifecycle{Previous: []PreviousLocation{{CBSL: oldCBSL(in, "backups-old", "legacy")}}}
		a, err := cached.RenderLifecycle(context.Background(), in, lc)
		if err != nil {
			t.Fatal(err)
		}
		b, err := full.RenderLifecycle(context.Background(), in, lc)
		if err != nil {
			t.Fatal(err)
		}
		if string(a.YAML()) != string(b.YAML()) {
			t.Fatalf("cluster %s: cached and full renders differ:\n%s", in.ClusterID(), lineDiff(string(b.YAML()), string(a.YAML())))
		}
		if !strings.Contains(string(a.YAML()), "legacy/"+in.ProjectID()+"/"+in.ClusterID()) {
			t.Fatalf("cluster %s: no previous prefix in the render", in.ClusterID())
		}
	}
	if n < 2 {
		t.Fatalf("%d clusters on backups-eu in the example fleet, want 2", n)
	}
	if len(cached.cache.shapes) != 1 {
		t.Fatalf("%d cached shapes for %d clusters of one CBSL and one previous location, want 1", len(cached.cache.shapes), n)
	}
	for _, s := range cached.cache.shapes {
		if !s.ok {
			t.Fatal("ID substitution was found unsound for the shape with previous locations")
		}
	}
}

// TestPruneSafeOutput: in every golden case (overlays included) the CRDs,
// the Namespace and every BSL carry the annotations that stop Helm, Argo CD
// and Flux from deleting them, the sync waves order CRDs and the Namespace
// first, the BSLs after the workloads and Schedules after the BSLs, and
// nothing is a Helm hook or a Job.
func TestPruneSafeOutput(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in := loadCase(t, tc.name)
			lc := Lifecycle{Previous: []PreviousLocation{{CBSL: oldCBSL(in, "backups-old", "legacy")}}}
			objs := renderLC(t, tc.opts, in, lc)
			waves := map[string]string{"CustomResourceDefinition": "-10", "Namespace": "-10", "BackupStorageLocation": "5", "Schedule": "10"}
			seen := map[string]int{}
			for _, o := range objs {
				a := o.GetAnnotations()
				ref := RefOf(o).String()
				if o.GetKind() == "Job" || a["helm.sh/hook"] != "" {
					t.Errorf("%s is a Job or a Helm hook", ref)
				}
				w, ok := waves[o.GetKind()]
				if !ok {
					if k := o.GetKind(); (k == "Deployment" || k == "DaemonSet") && waveOf(a) >= 5 {
						t.Errorf("%s has sync wave %q; workloads must sync before the BSLs (wave 5)", ref, a["argocd.argoproj.io/sync-wave"])
					}
					continue
				}
				seen[o.GetKind()]++
				if a["argocd.argoproj.io/sync-wave"] != w {
					t.Errorf("%s sync wave %q, want %q", ref, a["argocd.argoproj.io/sync-wave"], w)
				}
				if o.GetKind() == "Schedule" {
					continue
				}
				if a["helm.sh/resource-policy"] != "keep" || a["kustomize.toolkit.fluxcd.io/prune"] != "disabled" ||
					!strings.Contains(a["argocd.argoproj.io/sync-options"], "Prune=false") {
					t.Errorf("%s is not prune-safe: %v", ref, a)
				}
				if o.GetKind() == "CustomResourceDefinition" && !strings.Contains(a["argocd.argoproj.io/sync-options"], "ServerSideApply=true") {
					t.Errorf("%s lacks ServerSideApply=true", ref)
				}
			}
			if seen["CustomResourceDefinition"] != 13 || seen["Namespace"] != 1 || seen["BackupStorageLocation"] != 2 {
				t.Errorf("rendered %v", seen)
			}
		})
	}
}

// waveOf returns the Argo CD sync wave of annotations a (0 when unset).
func waveOf(a map[string]string) int {
	w, _ := strconv.Atoi(a["argocd.argoproj.io/sync-wave"])
	return w
}
