package fleet_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// TestInventoryVerdicts judges six clusters on a real versitygw (and one
// closed port): every verdict, the request count of each, and that the
// unreachable one hides nothing.
// fixtureFleet starts versitygw and writes the backups of seven clusters,
// one per verdict and a few more: protected (hourly, 20 minutes old), late
// (3h old), failing (newest Failed), a manual newest success, never backed
// up, a closed port and a missing Secret.
func fixtureFleet(t *testing.T) (*s3env.Server, []fleet.Cluster, time.Time) {
	t.Helper()
	ctx := context.Background()
	s := s3env.Start(t)
	mustNoErr(t, s.CreateBucket(ctx, bucket))
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	hourly := schedule(t, "hourly", "0 * * * *")

	loc, sec := cbsl("loc", "proj1", s.Endpoint, s.RootAccessKey, s.RootSecretKey)
	closed, err := testenv.FreePort()
	mustNoErr(t, err)
	deadLoc, deadSec := cbsl("dead", "proj2", fmt.Sprintf("http://127.0.0.1:%d", closed), "AKIADEAD", "dead-secret-value")
	get := secretsOf(sec, deadSec)

	put := func(cluster string, bs ...fleettest.Backup) {
		for _, b := range bs {
			mustNoErr(t, fleettest.Put(ctx, root, bucket, "seed/proj1/"+cluster, b))
		}
	}
	// protected: hourly, newest 20 minutes old, older ones too.
	for i := range 5 {
		put("cprot", fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-20*time.Minute - time.Duration(i)*time.Hour), Took: time.Minute})
	}
	// late: hourly, newest 3h old.
	put("clate", fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-3 * time.Hour), Took: time.Minute})
	// failing: newest Failed, an older Completed.
	put("cfail",
		fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-80 * time.Minute), Took: time.Minute},
		fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseFailed, Started: now.Add(-20 * time.Minute), Took: time.Minute, FailureReason: "<img src=x onerror=alert(1)> plugin panicked"})
	// a manual backup (no timestamp in the name) that is the newest success.
	put("cmanual", fleettest.Backup{Name: "before-upgrade", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-10 * time.Minute), Took: time.Minute},
		fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseFailed, Started: now.Add(-30 * time.Minute), Took: time.Minute})

	clusters := []fleet.Cluster{
		fleet.ClusterFor(ctx, kkpCluster("cprot", "proj1", "loc"), loc, get, []fleet.Schedule{hourly}),
		fleet.ClusterFor(ctx, kkpCluster("clate", "proj1", "loc"), loc, get, []fleet.Schedule{hourly}),
		fleet.ClusterFor(ctx, kkpCluster("cfail", "proj1", "loc"), loc, get, []fleet.Schedule{hourly}),
		fleet.ClusterFor(ctx, kkpCluster("cmanual", "proj1", "loc"), loc, get, []fleet.Schedule{hourly}),
		fleet.ClusterFor(ctx, kkpCluster("cnever", "proj1", "loc"), loc, get, []fleet.Schedule{hourly}),
		fleet.ClusterFor(ctx, kkpCluster("cdead", "proj2", "dead"), deadLoc, get, []fleet.Schedule{hourly}),
		fleet.ClusterFor(ctx, kkpCluster("cnosecret", "proj1", "loc"), loc, secretsOf(), nil),
	}
	return s, clusters, now
}

func TestInventoryVerdicts(t *testing.T) {
	ctx := context.Background()
	s, clusters, now := fixtureFleet(t)
	rep := fleet.Inventory(ctx, clusters, fleet.Options{
		Checker: s3check.New(s3check.Options{Policy: allowLoopback}),
		Now:     func() time.Time { return now },
	})
	got := byID(rep)
	want := map[string]struct {
		verdict  fleet.Verdict
		reason   string
		requests int64
	}{
		"cprot":     {fleet.Protected, "last successful backup hourly-20261202114000, 19m0s ago", 2},
		"clate":     {fleet.Late, "Schedule hourly (0 * * * *) expected a new one by 2026-12-02T10:30:00Z", 2},
		"cfail":     {fleet.Failing, "newest finished backup hourly-20261202114000 ended Failed: <img src=x onerror=alert(1)> plugin panicked", 3},
		"cmanual":   {fleet.Protected, "before-upgrade", 3},
		"cnever":    {fleet.NeverBackedUp, "no backups under seed/proj1/cnever/backups/", 1},
		"cdead":     {fleet.Unreachable, "refused: nothing listens there", 0},
		"cnosecret": {fleet.CredentialsMissing, "spec.credential.name: Not found: \"loc-creds\"", 0},
	}
	for id, w := range want {
		st := got[id]
		if st.Verdict != w.verdict || !strings.Contains(st.Reason, w.reason) {
			t.Errorf("%s: verdict %s (%q), want %s containing %q", id, st.Verdict, st.Reason, w.verdict, w.reason)
		}
		if w.requests > 0 && st.Requests != w.requests {
			t.Errorf("%s: %d requests, want %d", id, st.Requests, w.requests)
		}
		if strings.Contains(st.Reason, s.RootSecretKey) || strings.Contains(st.Reason, "dead-secret-value") {
			t.Errorf("%s: reason leaks a secret: %q", id, st.Reason)
		}
	}
	if got["cprot"].Stored != 5 || got["cprot"].Inspected != 1 || got["cprot"].Phases[velerov1.BackupPhaseCompleted] != 1 {
		t.Errorf("cprot: stored %d inspected %d phases %v, want 5, 1, Completed 1", got["cprot"].Stored, got["cprot"].Inspected, got["cprot"].Phases)
	}
	if f := got["cfail"]; f.LastSuccess == nil || f.LastFailure == nil || f.LastFailure.Phase != velerov1.BackupPhaseFailed {
		t.Errorf("cfail: last success %v, last failure %v", f.LastSuccess, f.LastFailure)
	}
	if rep.OK() || len(rep.NotProtected()) != 5 {
		t.Errorf("report: OK %v, not protected %v", rep.OK(), rep.NotProtected())
	}
	if rep.Summary[fleet.Unreachable] != 1 || rep.Summary[fleet.CredentialsMissing] != 1 || rep.Summary[fleet.Protected] != 2 {
		t.Errorf("summary %v", rep.Summary)
	}
	if st := got["cnosecret"]; st.Bucket != bucket || st.Prefix != "seed/proj1/cnosecret" {
		t.Errorf("cnosecret: bucket %q prefix %q, want where its backups would live", st.Bucket, st.Prefix)
	}
	checkCredentialsMissingOutputs(t, rep)
}

// checkCredentialsMissingOutputs: the credentials-missing verdict is a
// verdict like the others in the table, the JSON, the HTML report and the
// metrics.
func checkCredentialsMissingOutputs(t *testing.T, rep *fleet.Report) {
	t.Helper()
	var table, js, html strings.Builder
	mustNoErr(t, rep.WriteTable(&table))
	mustNoErr(t, rep.WriteJSON(&js))
	mustNoErr(t, rep.WriteHTML(&html))
	for what, tc := range map[string]struct{ out, want string }{
		"table": {table.String(), "credentials-missing"},
		"json":  {js.String(), `"verdict": "credentials-missing"`},
		"html":  {html.String(), `data-cluster="cnosecret" data-verdict="credentials-missing"`},
	} {
		if !strings.Contains(tc.out, tc.want) {
			t.Errorf("%s output lacks %q", what, tc.want)
		}
	}
	if !strings.Contains(js.String(), `"credentials-missing": 1`) {
		t.Errorf("json summary lacks credentials-missing: 1")
	}
	c := fleet.NewCollector()
	c.Set(rep, 1)
	want := `# HELP clusterbackup_fleet_clusters Clusters by verdict in the last inventory.
# TYPE clusterbackup_fleet_clusters gauge
clusterbackup_fleet_clusters{verdict="credentials-missing"} 1
clusterbackup_fleet_clusters{verdict="failing"} 1
clusterbackup_fleet_clusters{verdict="late"} 1
clusterbackup_fleet_clusters{verdict="never-backed-up"} 1
clusterbackup_fleet_clusters{verdict="protected"} 2
clusterbackup_fleet_clusters{verdict="storage-unreachable"} 1
`
	mustNoErr(t, testutil.CollectAndCompare(c, strings.NewReader(want), fleet.MetricClusters))
}

// TestHostileEndpoint: an endpoint that answers a listing with an endless
// body and metadata with a huge one costs bounded memory and is its own
// verdict.
func TestHostileEndpoint(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>fleet</Name><IsTruncated>false</IsTruncated>`)
		chunk := []byte(strings.Repeat("<CommonPrefixes><Prefix>seed/p/c/backups/x/</Prefix></CommonPrefixes>", 1000))
		for range 10000 { // ~700 MB if read in full
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	loc, sec := cbsl("hostile", "p", srv.URL, "AKIAHOSTILE", "hostile-secret")
	c := fleet.ClusterFor(ctx, kkpCluster("c", "p", "hostile"), loc, secretsOf(sec), nil)
	start := time.Now()
	rep := fleet.Inventory(ctx, []fleet.Cluster{c}, fleet.Options{
		Checker:      s3check.New(s3check.Options{Policy: allowLoopback}),
		MaxListBytes: 1 << 20,
	})
	st := rep.Clusters[0]
	if st.Verdict != fleet.Unreachable || !strings.Contains(st.Reason, "is larger than 1048576 bytes") {
		t.Fatalf("verdict %s %q, want storage-unreachable: answer is larger than 1048576 bytes", st.Verdict, st.Reason)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
}

// TestHugeMetadata: a velero-backup.json larger than the listing limit is
// one Unreadable backup, not an unreachable cluster.
func TestHugeMetadata(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("list-type") == "2" {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>fleet</Name><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>seed/p/c/backups/daily-20261201020000/</Prefix></CommonPrefixes></ListBucketResult>`)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(64<<20))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	defer srv.Close()
	loc, sec := cbsl("huge", "p", srv.URL, "AKIAHUGE", "huge-secret")
	c := fleet.ClusterFor(ctx, kkpCluster("c", "p", "huge"), loc, secretsOf(sec), nil)
	st := fleet.Inventory(ctx, []fleet.Cluster{c}, fleet.Options{Checker: s3check.New(s3check.Options{Policy: allowLoopback})}).Clusters[0]
	if st.Verdict != fleet.NeverBackedUp || st.Phases[fleet.PhaseUnreadable] != 1 || st.Stored != 1 {
		t.Fatalf("verdict %s (%s), phases %v, stored %d; want never-backed-up with one Unreadable backup", st.Verdict, st.Reason, st.Phases, st.Stored)
	}
}

// TestManyManualBackups: manual backups (no timestamp in the name) take at
// most the reads not kept for scheduled ones (as many as exist, at most
// half), so the newest scheduled backup is still read.
func TestManyManualBackups(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	mustNoErr(t, s.CreateBucket(ctx, bucket))
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	now := time.Now()
	for i := range 12 {
		mustNoErr(t, fleettest.Put(ctx, root, bucket, "seed/p/c", fleettest.Backup{Name: fmt.Sprintf("manual-%02d", i), Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-48 * time.Hour), Took: time.Minute}))
	}
	mustNoErr(t, fleettest.Put(ctx, root, bucket, "seed/p/c", fleettest.Backup{Schedule: "daily", Phase: velerov1.BackupPhaseFailed, Started: now.Add(-time.Hour), Took: time.Minute}))
	loc, sec := cbsl("loc", "p", s.Endpoint, s.RootAccessKey, s.RootSecretKey)
	c := fleet.ClusterFor(ctx, kkpCluster("c", "p", "loc"), loc, secretsOf(sec), []fleet.Schedule{schedule(t, "daily", "@daily")})
	st := fleet.Inventory(ctx, []fleet.Cluster{c}, fleet.Options{Checker: s3check.New(s3check.Options{Policy: allowLoopback})}).Clusters[0]
	if st.Verdict != fleet.Failing || st.Inspected != fleet.DefaultMaxReads || st.Stored != 13 {
		t.Fatalf("verdict %s (%s), inspected %d of %d; want failing after 9 manual reads and the scheduled one", st.Verdict, st.Reason, st.Inspected, st.Stored)
	}
}
