package gitops

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/input"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// oldCBSLYAML is a CBSL of project jnpllgp66z that no cluster uses any more.
const oldCBSLYAML = `apiVersion: kubermatic.k8c.io/v1
kind: ClusterBackupStorageLocation
metadata:
  name: backups-eu-old
  namespace: kubermatic
  labels:
    project-id: jnpllgp66z
spec:
  provider: aws
  objectStorage:
    bucket: kkp-backups-old
    prefix: legacy
  config:
    region: eu-central-1
    s3Url: https://s3.eu.example.com
  credential:
    name: backups-eu-credentials
    key: cloud
`

// TestRunKRMLifecycle: parameters lifecycle and previousLocations render
// exactly the library's RenderLifecycle of the cluster.
func TestRunKRMLifecycle(t *testing.T) {
	objs := &input.Objects{}
	if err := objs.Parse("old.yaml", strings.NewReader(oldCBSLYAML)); err != nil {
		t.Fatal(err)
	}
	fleet, err := renderer.LoadInputsFS(examples.Fleet, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	in := fleet[2] // xkc6lgmfsn
	r, err := renderer.New(renderer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		spec  string
		lc    renderer.Lifecycle
		kinds map[string]int
	}{
		"switched": {
			spec:  "  cluster: xkc6lgmfsn\n  previousLocations: [backups-eu-old]\n",
			lc:    renderer.Lifecycle{Previous: []renderer.PreviousLocation{{CBSL: objs.CBSLs[0].Object}}},
			kinds: map[string]int{"BackupStorageLocation/default": 1, "BackupStorageLocation/previous-backups-eu-old": 1, "Deployment/velero": 1},
		},
		"disabled": {
			spec:  "  cluster: xkc6lgmfsn\n  lifecycle: disabled\n",
			lc:    renderer.Lifecycle{Disabled: true},
			kinds: map[string]int{"BackupStorageLocation/default": 1, "Deployment/velero": 0, "DaemonSet/node-agent": 0, "Namespace/velero": 1},
		},
		"purged": {
			spec:  "  cluster: xkc6lgmfsn\n  lifecycle: purged\n",
			lc:    renderer.Lifecycle{Disabled: true, Purge: true},
			kinds: map[string]int{"BackupStorageLocation/default": 0, "CustomResourceDefinition/backups.velero.io": 0, "Namespace/velero": 0},
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := RunKRM(context.Background(), resourceList(t, tc.spec, oldCBSLYAML))
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.RenderLifecycle(context.Background(), in, tc.lc)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Items) != len(want.Manifests) {
				t.Fatalf("%d items, the library renders %d objects", len(out.Items), len(want.Manifests))
			}
			for i := range want.Manifests {
				j, _ := want.Manifests[i].JSON()
				if !bytes.Equal(out.Items[i], j) {
					t.Errorf("item %d differs from the library's %s %s", i, want.Manifests[i].Kind, want.Manifests[i].Name)
				}
			}
			k := kinds(out.Items)
			for kind, n := range tc.kinds {
				if k[kind] != n {
					t.Errorf("%s: %d items, want %d", kind, k[kind], n)
				}
			}
		})
	}
}

func TestLifecycleParamErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"  cluster: xkc6lgmfsn\n  lifecycle: paused\n":                   `parameter lifecycle="paused" (from functionConfig: spec.lifecycle): must be enabled, disabled or purged`,
		"  cluster: xkc6lgmfsn\n  previousLocations: [nope]\n":           `parameter previousLocations="nope" (from functionConfig: spec.previousLocations): no ClusterBackupStorageLocation "nope" among the inputs; add the old CBSL to the inputs (CBSLs: backups-eu, `,
		"  cluster: xkc6lgmfsn\n  previousLocations: [backups-eu]\n":     `"backups-eu" is the CBSL cluster xkc6lgmfsn uses now, not a previous one`,
		"  cluster: m2vd8s5ptc\n  previousLocations: [backups-eu-old]\n": `Cluster "m2vd8s5ptc": lifecycle.previous[0].cbsl.metadata.labels[project-id]: Forbidden`,
	} {
		_, err := RunKRM(context.Background(), resourceList(t, spec, oldCBSLYAML))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("spec %q: err = %v, want it to contain %q", spec, err, want)
		}
	}
}
