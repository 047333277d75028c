package fleet_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/html"

	"github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/browser"
)

// TestInventoryDrills: on the fixture fleet (versitygw), signed drill
// records beside the cluster prefixes give every drill state — verified, a
// failed drill with its reason, a stale one, a tampered record (failed:
// does not verify) and none — in the report, the table, the metrics and the
// HTML page as chromium shows it, with each cluster's strip of backups and
// drills.
func TestInventoryDrills(t *testing.T) {
	ctx := context.Background()
	s, clusters, now := fixtureFleet(t)
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	put := func(cluster string, ago time.Duration, outcome drill.Outcome, reason string, tamper bool) {
		t.Helper()
		started := now.Add(-ago)
		rec := &drill.Record{Version: drill.RecordVersion, ProjectID: "proj1", ClusterID: cluster, Run: "r" + cluster, Backup: "hourly-x",
			Started: started, Finished: started.Add(time.Minute), RTOSeconds: 42, RPOSeconds: 1200, Outcome: outcome, Reason: reason, CleanedUp: true}
		data, err := drill.Sign(rec, key)
		mustNoErr(t, err)
		if tamper {
			data = bytes.Replace(data, []byte(`"outcome":"failed"`), []byte(`"outcome":"passed"`), 1)
		}
		dir, err := drill.Dir("seed/proj1/"+cluster, "proj1", cluster)
		mustNoErr(t, err)
		_, err = root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(drill.Key(dir, started, rec.Run, outcome)), Body: bytes.NewReader(data)})
		mustNoErr(t, err)
	}
	put("cprot", 30*time.Hour, drill.Failed, "older failure", false)
	put("cprot", 2*time.Hour, drill.Passed, "", false)
	put("clate", time.Hour, drill.Failed, "podVolumes: PodVolumeRestore of shop/db volume data Failed: unable to read blob", false)
	put("cfail", 5*24*time.Hour, drill.Passed, "", false)
	put("cmanual", time.Hour, drill.Failed, "restorePhase: Failed", true)

	rep := fleet.Inventory(ctx, clusters, fleet.Options{
		Checker:  s3check.New(s3check.Options{Policy: allowLoopback}),
		Now:      func() time.Time { return now },
		DrillKey: key.Public().(ed25519.PublicKey),
	})
	got := byID(rep)
	for id, want := range map[string]struct {
		state  fleet.DrillState
		reason string
	}{
		"cprot":   {fleet.DrillVerified, "backup hourly-x restored and verified 1h59m ago (RTO 42s, RPO 20m0s)"},
		"clate":   {fleet.DrillFailed, "podVolumes: PodVolumeRestore of shop/db volume data Failed: unable to read blob"},
		"cfail":   {fleet.DrillStale, "passed 4d23h ago, more than 48h0m0s"},
		"cmanual": {fleet.DrillFailed, "does not verify: signed drill record: signature does not verify"},
		"cnever":  {fleet.NeverDrilled, "no drill record under seed/_drills/proj1/cnever/"},
	} {
		d := got[id].Drill
		if d == nil || d.State != want.state || !strings.Contains(d.Reason, want.reason) {
			t.Errorf("%s: drill %+v, want %s with %q", id, d, want.state, want.reason)
		}
	}
	if d := got["cdead"].Drill; d != nil {
		t.Errorf("unreachable storage judged drills: %+v", d)
	}
	// cprot's history: its backups (dots) and two drills, oldest first.
	var kinds []string
	for _, p := range got["cprot"].History {
		kinds = append(kinds, p.Kind+":"+p.Outcome)
	}
	if h := strings.Join(kinds, " "); !strings.Contains(h, "drill:failed") || !strings.Contains(h, "drill:passed") || !strings.HasSuffix(h, "backup:Completed") {
		t.Errorf("cprot history %s", h)
	}
	sum := rep.DrillSummary()
	if sum[fleet.DrillVerified] != 1 || sum[fleet.DrillFailed] != 2 || sum[fleet.DrillStale] != 1 || sum[fleet.NeverDrilled] != 1 {
		t.Errorf("drill summary %v", sum)
	}

	var table bytes.Buffer
	mustNoErr(t, rep.WriteTable(&table))
	if !strings.Contains(table.String(), "DRILL") || !strings.Contains(table.String(), "drills: 2 drill-failed, 1 drill-stale, 1 never-drilled, 1 verified") {
		t.Errorf("table:\n%s", table.String())
	}

	// Metrics: the alert's series.
	reg := prometheus.NewRegistry()
	col := fleet.NewCollector()
	reg.MustRegister(col)
	col.Set(rep, 1)
	if v, ok := gauge(t, reg, fleet.MetricDrillState, map[string]string{"cluster": "clate", "state": "drill-failed"}); !ok || v != 1 {
		t.Errorf("%s{cluster=clate,state=drill-failed} = %v, %v", fleet.MetricDrillState, v, ok)
	}
	if v, ok := gauge(t, reg, fleet.MetricDrillRTO, map[string]string{"cluster": "cprot"}); !ok || v != 42 {
		t.Errorf("%s{cluster=cprot} = %v, %v", fleet.MetricDrillRTO, v, ok)
	}

	// The page in the browser: drill badges and strips after the scripts ran.
	chromium := browser.Start(t)
	var page bytes.Buffer
	mustNoErr(t, rep.WriteHTML(&page))
	noExternalReference(t, page.Bytes())
	dir := testenv.ArtifactsDir(t)
	file := filepath.Join(dir, "fleet-drills.html")
	mustNoErr(t, os.WriteFile(file, page.Bytes(), 0o644))
	dom := chromium.DumpDOM(file, "sort=drill")
	doc, err := html.Parse(strings.NewReader(dom))
	mustNoErr(t, err)
	var rows []map[string]string
	marks := map[string][]string{}
	var walk func(n *html.Node, cluster string)
	walk = func(n *html.Node, cluster string) {
		if n.Type == html.ElementNode {
			a := fleettest.Attrs(n)
			if n.Data == "tr" && a["data-cluster"] != "" {
				rows = append(rows, a)
				cluster = a["data-cluster"]
			}
			if n.Data == "span" && a["data-kind"] != "" {
				marks[cluster] = append(marks[cluster], a["data-kind"]+":"+a["data-outcome"])
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, cluster)
		}
	}
	walk(doc, "")
	var order []string
	for _, r := range rows {
		if r["data-project"] == "proj1" {
			order = append(order, r["data-cluster"]+"="+r["data-drill"])
		}
		if d := got[r["data-cluster"]].DrillStateText(); r["data-drill"] != d {
			t.Errorf("row %s: data-drill %q, want %q", r["data-cluster"], r["data-drill"], d)
		}
	}
	// #sort=drill: worst first within the project.
	if o := strings.Join(order, " "); !strings.HasPrefix(o, "cfail=drill-stale") && !strings.HasPrefix(o, "clate=drill-failed") {
		t.Errorf("proj1 sorted by drill: %s", o)
	}
	if m := strings.Join(marks["cprot"], " "); !strings.Contains(m, "drill:passed") || !strings.Contains(m, "backup:Completed") {
		t.Errorf("cprot strip marks: %s", m)
	}
	shot := filepath.Join(dir, "fleet-drills.png")
	chromium.Screenshot(file, shot)
	t.Logf("HTML report with drills and screenshot: %s, %s", file, shot)
}

// gauge returns the value of the gauge series name with labels in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	mustNoErr(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue metric
				}
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
