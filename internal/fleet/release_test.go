package fleet_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
)

// stateConfigMap is a release loop state ConfigMap as the seed holds it.
func stateConfigMap(ns, id, state, version string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: "clusterbackup-release-" + id, Namespace: ns,
		Labels: map[string]string{kkpv1.ClusterIDLabel: id},
	}}
	if state != "" {
		cm.Annotations = map[string]string{kkpv1.ReleaseStateAnnotation: state, kkpv1.ReleaseVeleroVersionAnnotation: version}
	}
	return cm
}

// TestSeedSourceReleases: the seed source lists the state ConfigMaps of the
// CBSL namespace once and gives each Cluster its release state and Velero
// version; a Cluster without one (a GitOps-managed cluster), a ConfigMap
// without the label and one of another namespace leave it unknown.
func TestSeedSourceReleases(t *testing.T) {
	scheme := runtime.NewScheme()
	mustNoErr(t, clientgoscheme.AddToScheme(scheme))
	mustNoErr(t, kkpv1.AddToScheme(scheme))
	loc, secret := cbsl("loc", "p1", "http://127.0.0.1:9", "AKIA", "secret")
	other := stateConfigMap("elsewhere", "c-other", "failed", "v1.0.0")
	unlabelled := stateConfigMap("kubermatic", "c-gitops", "applied", "v1.0.0")
	unlabelled.Labels = nil
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		loc, secret,
		kkpCluster("c-applied", "p1", "loc"), kkpCluster("c-disabled", "p1", "loc"),
		kkpCluster("c-gitops", "p1", "loc"), kkpCluster("c-other", "p1", "loc"),
		stateConfigMap("kubermatic", "c-applied", "applied", "v1.16.1"),
		stateConfigMap("kubermatic", "c-disabled", "disabled", "v1.16.1"),
		unlabelled, other,
	).Build()
	// The generation the release loop applied last (rollout waves).
	applied := &corev1.ConfigMap{}
	mustNoErr(t, reader.Get(t.Context(), client.ObjectKey{Namespace: "kubermatic", Name: "clusterbackup-release-c-applied"}, applied))
	applied.Annotations[kkpv1.ReleaseGenerationAnnotation] = "3e0934057ed126ec"
	mustNoErr(t, reader.Update(t.Context(), applied))
	clusters, err := fleet.SeedSource(reader, "kubermatic", secretsOf(secret), nil)(t.Context())
	mustNoErr(t, err)
	got := map[string]fleet.ReleaseInfo{}
	for _, c := range clusters {
		got[c.ClusterID] = c.Release
	}
	want := map[string]fleet.ReleaseInfo{
		"c-applied":  {State: "applied", VeleroVersion: "v1.16.1", Generation: "3e0934057ed126ec"},
		"c-disabled": {State: "disabled", VeleroVersion: "v1.16.1"},
		"c-gitops":   {},
		"c-other":    {},
	}
	for id, w := range want {
		if g, ok := got[id]; !ok || g != w {
			t.Errorf("%s: release %+v (listed %v), want %+v", id, g, ok, w)
		}
	}
}

// TestReleaseColumn: the table, the JSON and the HTML page show the
// release state and Velero version, "-" (table, HTML) or nothing (JSON)
// when unknown, and the collector exports no release metric (the release
// loop does).
func TestReleaseColumn(t *testing.T) {
	now := time.Now()
	rep := fleet.Inventory(t.Context(), []fleet.Cluster{
		{ProjectID: "p", ClusterID: "c-loop", Err: errTest, Release: fleet.ReleaseInfo{State: "applied", VeleroVersion: "v1.16.1", Generation: "3e0934057ed126ec"}},
		{ProjectID: "p", ClusterID: "c-gitops", Err: errTest},
	}, fleet.Options{Now: func() time.Time { return now }})

	var table bytes.Buffer
	mustNoErr(t, rep.WriteTable(&table))
	lines := strings.Split(table.String(), "\n")
	if f := strings.Fields(lines[0]); len(f) < 12 || f[9] != "RELEASE" || f[10] != "VELERO" || f[11] != "CONFIG" {
		t.Fatalf("table header %q lacks RELEASE, VELERO and CONFIG", lines[0])
	}
	for _, l := range lines[1:3] {
		f := strings.Fields(l)
		switch f[1] {
		case "c-loop":
			if f[7] != "applied" || f[8] != "v1.16.1" || f[9] != "3e0934057ed126ec" {
				t.Errorf("c-loop: release %q, velero %q, config %q in %q", f[7], f[8], f[9], l)
			}
		case "c-gitops":
			if f[7] != "-" || f[8] != "-" || f[9] != "-" {
				t.Errorf("c-gitops: release %q, velero %q in %q, want - and -", f[7], f[8], l)
			}
		}
	}

	var js bytes.Buffer
	mustNoErr(t, rep.WriteJSON(&js))
	var raw struct {
		Clusters []map[string]json.RawMessage `json:"clusters"`
	}
	mustNoErr(t, json.Unmarshal(js.Bytes(), &raw))
	for _, c := range raw.Clusters {
		var id string
		mustNoErr(t, json.Unmarshal(c["cluster"], &id))
		r, ok := c["release"]
		var compact bytes.Buffer
		if ok {
			mustNoErr(t, json.Compact(&compact, r))
		}
		switch {
		case id == "c-loop" && compact.String() != `{"state":"applied","veleroVersion":"v1.16.1","generation":"3e0934057ed126ec"}`:
			t.Errorf("c-loop: JSON release %s", r)
		case id == "c-gitops" && ok:
			t.Errorf("c-gitops: JSON release %s, want none", r)
		}
	}

	var page bytes.Buffer
	mustNoErr(t, rep.WriteHTML(&page))
	for _, w := range []string{`<th data-key="release">Release</th>`, `data-cluster="c-loop"`, `data-release="applied"`, `Velero v1.16.1`, `config 3e0934057ed126ec`, `data-release=""`} {
		if !strings.Contains(page.String(), w) {
			t.Errorf("the HTML page lacks %s", w)
		}
	}

	c := fleet.NewCollector()
	c.Set(rep, 0)
	reg := prometheus.NewPedanticRegistry()
	mustNoErr(t, reg.Register(c))
	mfs, err := reg.Gather()
	mustNoErr(t, err)
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "clusterbackup_release_") {
			t.Errorf("the fleet collector exports %s, which the release loop exports", mf.GetName())
		}
	}
}

// TestTableCellsCannotForgeRows: a backup name, reason or version read from
// storage with a line break or a tab is quoted in the table, so it cannot
// add a row or shift a column (the JSON and HTML escape by their format).
func TestTableCellsCannotForgeRows(t *testing.T) {
	now := time.Now()
	forged := "x\np\tc-victim\tprotected"
	rep := fleet.Inventory(t.Context(), []fleet.Cluster{
		{ProjectID: "p", ClusterID: "c-evil", Err: errTest, Release: fleet.ReleaseInfo{State: "applied", VeleroVersion: forged}},
	}, fleet.Options{Now: func() time.Time { return now }})
	var table bytes.Buffer
	mustNoErr(t, rep.WriteTable(&table))
	lines := strings.Split(strings.TrimRight(table.String(), "\n"), "\n")
	// header, one cluster row, the summary line
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", len(lines), table.String())
	}
	if !strings.Contains(lines[1], `"x\np\tc-victim\tprotected"`) {
		t.Fatalf("the forged version is not quoted in %q", lines[1])
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "p ") && strings.Contains(l, "c-victim") && !strings.Contains(l, "c-evil") {
			t.Fatalf("a forged row: %q", l)
		}
	}
}
