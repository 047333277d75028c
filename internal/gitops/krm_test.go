package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/renderer"
)

const secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// secretYAML is a CBSL credential Secret in the Velero INI layout, labelled
// with the project of the example CBSL that names it.
func secretYAML(name, accessKey string) string {
	project := map[string]string{"backups-eu-credentials": "jnpllgp66z", "team-b-credentials": "q4mh2x8vbn"}[name]
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: kubermatic\n  labels:\n    project-id: \"" + project + "\"\nstringData:\n  cloud: |\n    [default]\n    aws_access_key_id=" + accessKey + "\n    aws_secret_access_key=" + secretKey + "\n"
}

// resourceList builds a ResourceList of the example fleet plus extra YAML
// documents, with a RenderConfig functionConfig holding spec.
func resourceList(t *testing.T, spec string, extra ...string) *ResourceList {
	t.Helper()
	var docs []string
	err := fs.WalkDir(examples.Fleet, "fleet", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(examples.Fleet, p)
		docs = append(docs, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rl := &ResourceList{APIVersion: ResourceListAPIVersion, Kind: ResourceListKind}
	for _, d := range append(docs, extra...) {
		j, err := yaml.YAMLToJSON([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		rl.Items = append(rl.Items, j)
	}
	fc, err := yaml.YAMLToJSON([]byte("apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nmetadata:\n  name: render\nspec:\n" + spec))
	if err != nil {
		t.Fatal(err)
	}
	rl.FunctionConfig = fc
	return rl
}

func kinds(items []json.RawMessage) map[string]int {
	out := map[string]int{}
	for _, it := range items {
		var h itemHeader
		_ = json.Unmarshal(it, &h)
		out[h.Kind+"/"+h.Metadata.Name]++
	}
	return out
}

func TestRunKRM(t *testing.T) {
	passthrough := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\ndata:\n  a: b\n"
	unrelatedSecret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: other\n  namespace: kubermatic\nstringData:\n  x: y\n"
	rl := resourceList(t, "  cluster: xkc6lgmfsn\n  overlay: hardened\n",
		passthrough, unrelatedSecret, secretYAML("backups-eu-credentials", "AKIASHAREDEXAMPLE"), secretYAML("team-b-credentials", "AKIATEAMBEXAMPLE"))
	out, err := RunKRM(context.Background(), rl)
	if err != nil {
		t.Fatal(err)
	}
	k := kinds(out.Items)
	for _, gone := range []string{"Cluster/xkc6lgmfsn", "Cluster/m2vd8s5ptc", "ClusterBackupStorageLocation/backups-eu", "Secret/backups-eu-credentials", "Secret/team-b-credentials"} {
		if k[gone] != 0 {
			t.Errorf("input %s is still among the items", gone)
		}
	}
	for _, kept := range []string{"ConfigMap/unrelated", "Secret/other", "Deployment/velero", "BackupStorageLocation/default"} {
		if k[kept] != 1 {
			t.Errorf("%s: %d items, want 1", kept, k[kept])
		}
	}

	// The rendered items are exactly the library's output for that cluster.
	fleet, err := renderer.LoadInputsFS(examples.Fleet, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	r, err := renderer.New(renderer.Options{Overlay: "hardened"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), fleet[2])
	if err != nil {
		t.Fatal(err)
	}
	if res.ClusterID() != "xkc6lgmfsn" || len(out.Items) != len(res.Manifests)+2 {
		t.Fatalf("%d items for %d rendered objects", len(out.Items), len(res.Manifests))
	}
	for i := range res.Manifests {
		want, _ := res.Manifests[i].JSON()
		if !bytes.Equal(out.Items[i+2], want) {
			t.Errorf("item %d differs from the library's %s %s", i+2, res.Manifests[i].Kind, res.Manifests[i].Name)
		}
	}

	var warn, info []Result
	for _, r := range out.Results {
		switch r.Severity {
		case SeverityWarning:
			warn = append(warn, r)
		case SeverityInfo:
			info = append(info, r)
		default:
			t.Errorf("unexpected result %+v", r)
		}
	}
	if len(warn) != 1 || !strings.Contains(warn[0].Message, "access key AKIASHAREDEXAMPLE is shared by clusters r7tqz9d2wk, xkc6lgmfsn (ClusterBackupStorageLocation kubermatic/backups-eu)") {
		t.Errorf("shared-credential warnings: %+v", warn)
	}
	// The count is the library's: the same render, whatever the chart holds.
	if want := fmt.Sprintf(`rendered cluster xkc6lgmfsn (project jnpllgp66z): %d objects, backups under prefix "seed-eu/jnpllgp66z/xkc6lgmfsn"`, len(res.Manifests)); len(info) != 1 || !strings.Contains(info[0].Message, want) {
		t.Errorf("info: %+v", info)
	}
	b, err := out.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(secretKey)) {
		t.Error("the output holds the secret access key")
	}
}

func TestRunKRMErrors(t *testing.T) {
	otherProject := "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: zz9intruder\n  labels:\n    project-id: jnpllgp66z\nspec:\n  backupConfig:\n    backupStorageLocation:\n      name: team-b\n"
	cases := map[string]struct {
		rl   *ResourceList
		want []Result
	}{
		"cluster of another project": {
			rl: resourceList(t, "  cluster: xkc6lgmfsn\n", otherProject),
			want: []Result{{Severity: SeverityError, Message: `items[5]#1: Forbidden: ClusterBackupStorageLocation kubermatic/team-b belongs to project "q4mh2x8vbn"`,
				ResourceRef: &ResourceRef{APIVersion: "kubermatic.k8c.io/v1", Kind: "Cluster", Name: "zz9intruder"},
				Field:       &Field{Path: "spec.backupConfig.backupStorageLocation.name"}}},
		},
		"no cluster selected": {
			rl:   resourceList(t, "  overlay: hardened\n"),
			want: []Result{{Severity: SeverityError, Message: `the inputs hold 3 clusters (m2vd8s5ptc, r7tqz9d2wk, xkc6lgmfsn); set parameter "cluster"`}},
		},
		"unknown overlay": {
			rl:   resourceList(t, "  cluster: xkc6lgmfsn\n  overlay: nope\n"),
			want: []Result{{Severity: SeverityError, Message: `parameter overlay="nope" (from functionConfig: spec.overlay): unknown overlay`}},
		},
		"inputs parameter": {
			rl:   resourceList(t, "  cluster: xkc6lgmfsn\n  inputs: [x]\n"),
			want: []Result{{Severity: SeverityError, Message: `parameter "inputs" applies to the Argo CD plugin only`}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := RunKRM(context.Background(), tc.rl)
			if err == nil {
				t.Fatal("no error")
			}
			if len(out.Items) != len(tc.rl.Items) {
				t.Errorf("items changed on failure: %d, want %d", len(out.Items), len(tc.rl.Items))
			}
			if len(out.Results) != len(tc.want) {
				t.Fatalf("results %+v", out.Results)
			}
			for i, w := range tc.want {
				g := out.Results[i]
				if g.Severity != w.Severity || !strings.Contains(g.Message, w.Message) {
					t.Errorf("result %d = %s %q, want %s containing %q", i, g.Severity, g.Message, w.Severity, w.Message)
				}
				if (w.ResourceRef != nil && (g.ResourceRef == nil || *g.ResourceRef != *w.ResourceRef)) || (w.Field != nil && (g.Field == nil || *g.Field != *w.Field)) {
					t.Errorf("result %d refers to %+v %+v, want %+v %+v", i, g.ResourceRef, g.Field, w.ResourceRef, w.Field)
				}
			}
		})
	}
}

func TestParseResourceList(t *testing.T) {
	if _, err := ParseResourceList([]byte("apiVersion: v1\nkind: List\nitems: []\n")); err == nil || !strings.Contains(err.Error(), `got kind "List" of "v1", want config.kubernetes.io/v1 ResourceList`) {
		t.Errorf("err = %v", err)
	}
	rl, err := ParseResourceList([]byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {n: \"1\"}\n"))
	if err != nil || len(rl.Items) != 1 {
		t.Fatalf("%v %+v", err, rl)
	}
}
