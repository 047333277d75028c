package controllers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/inventory"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestFleetMetrics runs the controllers with the fleet inventory on (real
// kube-apiserver with the seed webhooks, versitygw): the clusters' verdicts
// appear in controller-runtime's metrics registry, which the manager serves
// on /metrics, judged against the Schedules of --fleet-values.
func TestFleetMetrics(t *testing.T) {
	ctx := context.Background()
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("schedules:\n  hourly:\n    schedule: \"@every 1h\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sd := startSeed(t)
	sd.StartControllers(t, controllers.Options{Fleet: inventory.Options{Enabled: true, Period: duration.Of(time.Second), ValuesFile: values}})
	s := sd.S3
	secret(t, sd, "good", s.RootAccessKey, s.RootSecretKey)
	if err := sd.Client.Create(ctx, cbsl(sd, "loc", "backups", "good")); err != nil {
		t.Fatal(err)
	}
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	now := time.Now()
	put := func(id string, b fleettest.Backup) {
		if err := fleettest.Put(ctx, root, "backups", "seed-eu/p1/"+id, b); err != nil {
			t.Fatal(err)
		}
	}
	put("fm-ok", fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-10 * time.Minute), Took: time.Minute})
	put("fm-late", fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-5 * time.Hour), Took: time.Minute})
	put("fm-fail", fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseFailed, Started: now.Add(-10 * time.Minute), Took: time.Minute})
	want := map[string]fleet.Verdict{"fm-ok": fleet.Protected, "fm-late": fleet.Late, "fm-fail": fleet.Failing, "fm-never": fleet.NeverBackedUp}
	for id := range want {
		if err := sd.Client.Create(ctx, cluster(id, "p1", "loc")); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 30*time.Second, "fleet verdicts in the metrics registry", func() (bool, error) {
		got := verdictGauges(t)
		for id, v := range want {
			if got[id] != v {
				return false, nil
			}
		}
		return true, nil
	})
	if v := gaugeValue(t, fleet.MetricExpectedInterval, map[string]string{"cluster": "fm-ok"}); v != 3600 {
		t.Fatalf("%s{cluster=fm-ok} = %v, want 3600 (the --fleet-values schedule)", fleet.MetricExpectedInterval, v)
	}
	if v := gaugeValue(t, fleet.MetricLastSuccess, map[string]string{"cluster": "fm-ok"}); v < float64(now.Add(-10*time.Minute).Unix()) {
		t.Fatalf("%s{cluster=fm-ok} = %v", fleet.MetricLastSuccess, v)
	}
	assertNoSecret(t, logs.String(), s.RootSecretKey)
}

// verdictGauges returns the verdict whose clusterbackup_fleet_cluster_verdict
// gauge is 1, by cluster.
func verdictGauges(t *testing.T) map[string]fleet.Verdict {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fleet.Verdict{}
	for _, mf := range mfs {
		if mf.GetName() != fleet.MetricVerdict {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if m.GetGauge().GetValue() == 1 {
				out[l["cluster"]] = fleet.Verdict(l["verdict"])
			}
		}
	}
	return out
}
