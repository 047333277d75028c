//go:build !webhookonly

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/browser"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// fleetFixture writes a fleet of five clusters of two projects into dir
// (one file each for CBSLs, Secrets and Clusters) and their backups into
// versitygw: protected, late, failing, never backed up, and one on a
// closed port. It returns the files, the values file with the hourly
// Schedule and the secret keys.
func fleetFixture(t *testing.T) (dir, values string, secrets []string) {
	t.Helper()
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "fleet"); err != nil {
		t.Fatal(err)
	}
	closed, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	cbsl := func(name, project, endpoint string) string {
		return fmt.Sprintf(`apiVersion: kubermatic.k8c.io/v1
kind: ClusterBackupStorageLocation
metadata:
  name: %[1]s
  labels:
    project-id: %[2]s
spec:
  provider: aws
  objectStorage:
    bucket: fleet
    prefix: seed-eu
  config:
    region: us-east-1
    s3Url: %[3]s
  credential:
    name: %[1]s-credentials
    key: cloud-credentials
---
apiVersion: v1
kind: Secret
metadata:
  name: %[1]s-credentials
  labels:
    project-id: %[2]s
stringData:
  accessKeyId: %[4]s
  secretAccessKey: %[5]s
`, name, project, endpoint, s.RootAccessKey, s.RootSecretKey)
	}
	cluster := func(id, project, loc string) string {
		return fmt.Sprintf("apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: %s\n  labels:\n    project-id: %s\nspec:\n  backupConfig:\n    backupStorageLocation:\n      name: %s\n---\n", id, project, loc)
	}
	writeCheckFile(t, dir, "cbsls.yaml", cbsl("eu-p1", "p1", s.Endpoint)+"---\n"+cbsl("eu-p2", "p2", fmt.Sprintf("http://127.0.0.1:%d", closed)))
	writeCheckFile(t, dir, "clusters.yaml", cluster("c-prot", "p1", "eu-p1")+cluster("c-late", "p1", "eu-p1")+cluster("c-fail", "p1", "eu-p1")+cluster("c-never", "p1", "eu-p1")+cluster("c-dead", "p2", "eu-p2"))
	values = writeCheckFile(t, t.TempDir(), "values.yaml", "schedules:\n  hourly:\n    schedule: \"0 * * * *\"\n")

	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	now := time.Now()
	for id, b := range map[string]fleettest.Backup{
		"c-prot": {Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-10 * time.Minute), Took: time.Minute},
		"c-late": {Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-5 * time.Hour), Took: time.Minute},
		"c-fail": {Schedule: "hourly", Phase: velerov1.BackupPhaseFailed, Started: now.Add(-10 * time.Minute), Took: time.Minute},
	} {
		if err := fleettest.Put(ctx, root, "fleet", "seed-eu/p1/"+id, b); err != nil {
			t.Fatal(err)
		}
	}
	return dir, values, []string{s.RootSecretKey}
}

var fleetWant = map[string]fleet.Verdict{
	"c-prot": fleet.Protected, "c-late": fleet.Late, "c-fail": fleet.Failing,
	"c-never": fleet.NeverBackedUp, "c-dead": fleet.Unreachable,
}

// TestFleetStatusThreeFaces runs `fleet status` on versitygw and checks
// that the JSON, the table, the HTML page as headless chromium shows it
// and the Prometheus metrics of the same inventory give every cluster the
// same verdict, and that the command fails because clusters are not
// protected, without printing a secret.
func TestFleetStatusThreeFaces(t *testing.T) {
	chromium := browser.Start(t)
	dir, values, secrets := fleetFixture(t)
	args := []string{"fleet", "status", "-f", dir, "--values", values, "--allow-cidr", "127.0.0.1", "--timeout", "3s"}

	// JSON for scripts.
	out, stderr, code := runCLI(t, "", nil, append(args, "-o", "json")...)
	if code != 1 || !strings.Contains(stderr, "4 of 5 clusters not protected") {
		t.Fatalf("exit %d, stderr %q; want 1 and the clusters not protected", code, stderr)
	}
	var rep fleet.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("-o json is not a report: %v\n%s", err, out)
	}
	jsonVerdicts := map[string]fleet.Verdict{}
	for _, c := range rep.Clusters {
		jsonVerdicts[c.ClusterID] = c.Verdict
		if c.ExpectedInterval != fleet.Duration(time.Hour) {
			t.Errorf("%s: expected interval %s, want 1h from the rendered Schedule", c.ClusterID, c.ExpectedInterval)
		}
	}
	if fmt.Sprint(jsonVerdicts) != fmt.Sprint(fleetWant) {
		t.Fatalf("json verdicts %v, want %v", jsonVerdicts, fleetWant)
	}

	// The table for people.
	table, _, code := runCLI(t, "", nil, args...)
	if code != 1 {
		t.Fatalf("table: exit %d", code)
	}
	for id, v := range fleetWant {
		if !lineWith(table, id, string(v)) {
			t.Errorf("table has no line with %s and %s:\n%s", id, v, table)
		}
	}

	// HTML, as the browser renders it.
	page, _, _ := runCLI(t, "", nil, append(args, "-o", "html")...)
	file := filepath.Join(testenv.ArtifactsDir(t), "fleet-status.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, err := fleettest.ParseDOM(chromium.DumpDOM(file, ""))
	if err != nil {
		t.Fatal(err)
	}
	htmlVerdicts := map[string]fleet.Verdict{}
	for _, r := range dom.Rows {
		htmlVerdicts[r.Cluster] = fleet.Verdict(r.Verdict)
		if r.Badge != r.Verdict {
			t.Errorf("%s: badge %q, data-verdict %q", r.Cluster, r.Badge, r.Verdict)
		}
	}
	if fmt.Sprint(htmlVerdicts) != fmt.Sprint(jsonVerdicts) {
		t.Fatalf("HTML verdicts %v, JSON %v", htmlVerdicts, jsonVerdicts)
	}

	// Metrics of the same inventory (the seed's collector), gathered from
	// a registry as /metrics serves them.
	clusters, err := fleetClusters(context.Background(), streams{}, []string{dir}, []string{values})
	if err != nil {
		t.Fatal(err)
	}
	col := fleet.NewCollector()
	col.Set(fleet.Inventory(context.Background(), clusters, fleet.Options{Checker: s3check.New(s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}})}), 0)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(col)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	metricVerdicts := map[string]fleet.Verdict{}
	lastSuccess := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetName() {
			case fleet.MetricVerdict:
				if m.GetGauge().GetValue() == 1 {
					metricVerdicts[l["cluster"]] = fleet.Verdict(l["verdict"])
				}
			case fleet.MetricLastSuccess:
				lastSuccess[l["cluster"]] = m.GetGauge().GetValue()
			}
		}
	}
	if fmt.Sprint(metricVerdicts) != fmt.Sprint(jsonVerdicts) {
		t.Fatalf("metric verdicts %v, JSON %v", metricVerdicts, jsonVerdicts)
	}
	for _, c := range rep.Clusters {
		if c.LastSuccess == nil {
			if _, ok := lastSuccess[c.ClusterID]; ok {
				t.Errorf("%s: a last-success metric without a last success", c.ClusterID)
			}
			continue
		}
		if got := lastSuccess[c.ClusterID]; got != float64(c.LastSuccess.Completed.Unix()) {
			t.Errorf("%s: last success metric %v, JSON %v", c.ClusterID, got, c.LastSuccess.Completed.Unix())
		}
	}
	for _, sk := range secrets {
		if strings.Contains(out+table+page+stderr, sk) {
			t.Fatal("fleet status printed a secret key")
		}
	}
}

func lineWith(text string, words ...string) bool {
	for _, l := range strings.Split(text, "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestFleetStatusBadInput: input and values mistakes name the object, the
// field and the rule (exit 1), usage mistakes exit 2.
func TestFleetStatusBadInput(t *testing.T) {
	dir := t.TempDir()
	writeCheckFile(t, dir, "c.yaml", "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: c1\n  labels:\n    project-id: p1\nspec:\n  backupConfig:\n    backupStorageLocation:\n      name: missing\n")
	_, stderr, code := runCLI(t, "", nil, "fleet", "status", "-f", dir)
	if code != 1 || !strings.Contains(stderr, `"c1"`) || !strings.Contains(stderr, "spec.backupConfig.backupStorageLocation.name") {
		t.Fatalf("missing CBSL: exit %d, %q", code, stderr)
	}

	good, _, _ := fleetFixtureFiles(t)
	values := writeCheckFile(t, t.TempDir(), "v.yaml", "schedules:\n  nightly:\n    schedule: \"every night\"\n")
	_, stderr, code = runCLI(t, "", nil, "fleet", "status", "-f", good, "--values", values)
	if code != 1 || !strings.Contains(stderr, "schedules[nightly].schedule") || !strings.Contains(stderr, "not a valid cron expression") {
		t.Fatalf("bad schedule: exit %d, %q", code, stderr)
	}
	for _, args := range [][]string{{"fleet", "status"}, {"fleet", "status", "-f", good, "-o", "yaml"}, {"fleet", "list"}} {
		if _, stderr, code := runCLI(t, "", nil, args...); code != 2 {
			t.Errorf("%v: exit %d (%q), want 2", args, code, stderr)
		}
	}
}

// fleetFixtureFiles writes a one-cluster fleet without starting S3.
func fleetFixtureFiles(t *testing.T) (dir, cluster, cbsl string) {
	t.Helper()
	dir = t.TempDir()
	cbsl = writeCheckFile(t, dir, "cbsl.yaml", checkCBSL("http://127.0.0.1:9", "fleet", "")+"---\n"+checkSecret("AKIA", "not-a-real-secret"))
	cluster = writeCheckFile(t, dir, "c.yaml", "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: c1\n  labels:\n    project-id: p1\nspec:\n  backupConfig:\n    backupStorageLocation:\n      name: loc\n")
	return dir, cluster, cbsl
}

// TestFleetStatusReleaseColumn: the seed's release state ConfigMaps among
// the inputs (as `kubectl get clusters,clusterbackupstoragelocations,
// secrets,configmaps -A -o yaml` prints them, in a v1 List, with other
// ConfigMaps) give the RELEASE and VELERO columns and the JSON release;
// other commands still refuse ConfigMaps.
func TestFleetStatusReleaseColumn(t *testing.T) {
	indent := func(s string) string {
		return "  - " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
	}
	cluster := "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: %s\n  labels:\n    project-id: p1\nspec:\n  backupConfig:\n    backupStorageLocation:\n      name: loc\n"
	state := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: clusterbackup-release-c1\n  namespace: kubermatic\n  labels:\n    clusterbackup.io/cluster-id: c1\n  annotations:\n    clusterbackup.io/release-state: applied\n    clusterbackup.io/velero-version: v1.16.1\ndata:\n  lifecycle: enabled\n"
	other := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-root-ca.crt\n  namespace: kubermatic\ndata:\n  ca.crt: x\n"
	list := "apiVersion: v1\nkind: List\nitems:\n" + indent(fmt.Sprintf(cluster, "c1")) + indent(fmt.Sprintf(cluster, "c2")) +
		indent(checkCBSL("http://127.0.0.1:9", "fleet", "")) + indent(checkSecret("AKIA", "not-a-real-secret")) + indent(state) + indent(other)

	table, stderr, code := runCLI(t, list, nil, "fleet", "status", "-f", "-", "--timeout", "2s")
	if code != 1 || !strings.Contains(stderr, "2 of 2 clusters not protected") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !lineWith(table, "RELEASE", "VELERO") || !lineWith(table, "c1", "applied", "v1.16.1") {
		t.Errorf("the table lacks c1's release:\n%s", table)
	}
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 8 && f[1] == "c2" && (f[7] != "-" || f[8] != "-") {
			t.Errorf("c2 has no release state, the table shows %q", l)
		}
	}
	out, _, _ := runCLI(t, list, nil, "fleet", "status", "-f", "-", "--timeout", "2s", "-o", "json")
	var rep fleet.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Clusters {
		switch {
		case c.ClusterID == "c1" && (c.Release == nil || *c.Release != fleet.ReleaseInfo{State: "applied", VeleroVersion: "v1.16.1"}):
			t.Errorf("c1: JSON release %+v", c.Release)
		case c.ClusterID == "c2" && c.Release != nil:
			t.Errorf("c2: JSON release %+v, want none", c.Release)
		}
	}

	if _, stderr, code := runCLI(t, list, nil, "render", "-f", "-"); code == 0 || !strings.Contains(stderr, `kind "ConfigMap" of "v1" is not an input`) {
		t.Errorf("render accepted a ConfigMap: exit %d, %q", code, stderr)
	}
}
