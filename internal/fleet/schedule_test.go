package fleet_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/fleet"
)

// TestScheduleInterval: the interval is the longest gap between two runs,
// with Velero's parser.
func TestScheduleInterval(t *testing.T) {
	for expr, want := range map[string]time.Duration{
		"@every 6h":    6 * time.Hour,
		"@hourly":      time.Hour,
		"@daily":       24 * time.Hour,
		"*/15 * * * *": 15 * time.Minute,
		"0 2 * * 1-5":  72 * time.Hour,
		"0 3 1 * *":    31 * 24 * time.Hour,
		"0 1 * * 0":    7 * 24 * time.Hour,
	} {
		s := schedule(t, "s", expr)
		if time.Duration(s.Interval) != want {
			t.Errorf("%q: interval %s, want %s", expr, s.Interval, want)
		}
	}
	for expr, msg := range map[string]string{
		"every night": "not a valid cron expression",
		"":            "Required value",
		"@every 10s":  "at least 1m0s",
	} {
		_, err := fleet.ParseSchedule("n", expr, false, field.NewPath("schedules").Key("n").Child("schedule"))
		if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "schedules[n].schedule") {
			t.Errorf("%q: err %v, want %q naming schedules[n].schedule", expr, err, msg)
		}
	}
}

// TestSchedulesFromValues reads the chart's schedules section; disabled
// pauses every Schedule, as the chart renders it.
func TestSchedulesFromValues(t *testing.T) {
	v := map[string]any{"schedules": map[string]any{
		"b-daily":  map[string]any{"schedule": "@daily"},
		"a-hourly": map[string]any{"schedule": "0 * * * *", "paused": true},
	}}
	got, err := fleet.SchedulesFromValues(v)
	mustNoErr(t, err)
	if len(got) != 2 || got[0].Name != "a-hourly" || !got[0].Paused || got[1].Name != "b-daily" || got[1].Paused {
		t.Fatalf("schedules %+v", got)
	}
	v["disabled"] = true
	got, err = fleet.SchedulesFromValues(v)
	mustNoErr(t, err)
	if !got[1].Paused {
		t.Fatal("disabled did not pause b-daily")
	}
	if _, err := fleet.SchedulesFromValues(map[string]any{"schedules": map[string]any{"x": "@daily"}}); err == nil || !strings.Contains(err.Error(), "schedules[x]") {
		t.Fatalf("a schedule that is not a map: %v", err)
	}
}

// TestCollectorLint: the collector's metrics follow Prometheus's naming
// and help rules, and it exports nothing before the first report.
func TestCollectorLint(t *testing.T) {
	c := fleet.NewCollector()
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Fatalf("%d metrics before the first report", n)
	}
	now := time.Now()
	c.Set(fleet.Inventory(t.Context(), []fleet.Cluster{{ProjectID: "p", ClusterID: "c", Err: errTest}}, fleet.Options{Now: func() time.Time { return now }}), 0.5)
	problems, err := testutil.CollectAndLint(c)
	mustNoErr(t, err)
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
	want := `# HELP clusterbackup_fleet_clusters Clusters by verdict in the last inventory.
# TYPE clusterbackup_fleet_clusters gauge
clusterbackup_fleet_clusters{verdict="credentials-missing"} 0
clusterbackup_fleet_clusters{verdict="failing"} 0
clusterbackup_fleet_clusters{verdict="late"} 0
clusterbackup_fleet_clusters{verdict="never-backed-up"} 0
clusterbackup_fleet_clusters{verdict="protected"} 0
clusterbackup_fleet_clusters{verdict="storage-unreachable"} 1
`
	mustNoErr(t, testutil.CollectAndCompare(c, strings.NewReader(want), fleet.MetricClusters))
}

type testError string

func (e testError) Error() string { return string(e) }

const errTest = testError("no such secret")
