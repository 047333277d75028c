package fleet_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/controllers/release"

	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// MonitoringChart is the chart with the fleet's alerts and dashboard.
var monitoringChart = filepath.Join(testenv.RepoRoot(), "charts", "fleet-monitoring")

// metricRef matches the metric names an expression uses.
var metricRef = regexp.MustCompile(`\bclusterbackup_[a-z_]+\b`)

// renderMonitoring renders the chart with the real helm CLI and returns its
// objects by kind.
func renderMonitoring(t *testing.T, args ...string) map[string]*unstructured.Unstructured {
	t.Helper()
	helm, err := testenv.Tool("helm")
	mustNoErr(t, err)
	out, err := testenv.Run(helm, append([]string{"template", "fm", monitoringChart, "--namespace", "monitoring"}, args...)...)
	mustNoErr(t, err)
	objs := map[string]*unstructured.Unstructured{}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(out)), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if u.Object != nil {
			objs[u.GetKind()] = &u
		}
	}
	return objs
}

// checkExpr fails unless expr uses at least one metric, only metrics the
// Collector exports, and balanced brackets and quotes.
func checkExpr(t *testing.T, where, expr string) {
	t.Helper()
	used := metricRef.FindAllString(expr, -1)
	if len(used) == 0 {
		t.Errorf("%s: %q uses no clusterbackup_fleet metric", where, expr)
	}
	for _, m := range used {
		if !slices.Contains(fleet.MetricNames, m) && !slices.Contains(fleet.DrillMetricNames, m) && !slices.Contains(credentials.MetricNames, m) && !slices.Contains(release.MetricNames, m) {
			t.Errorf("%s: %q uses %s, which neither the fleet collector nor the credentials or release loop exports", where, expr, m)
		}
	}
	depth := map[rune]int{}
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	inQuote := false
	for _, r := range expr {
		switch {
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case r == '(' || r == '{' || r == '[':
			depth[r]++
		case pairs[r] != 0:
			depth[pairs[r]]--
			if depth[pairs[r]] < 0 {
				t.Errorf("%s: %q closes %c before opening it", where, expr, r)
			}
		}
	}
	if inQuote || depth['('] != 0 || depth['{'] != 0 || depth['['] != 0 {
		t.Errorf("%s: %q has unbalanced quotes or brackets", where, expr)
	}
}

// TestPrometheusRule renders the PrometheusRule with helm and checks its
// shape: one alert per bad verdict and one for a stale inventory, each
// expression on exported metrics only (hack/promcheck parses them with
// Prometheus's own PromQL parser), durations that parse, and the verdict
// values the inventory writes.
func TestPrometheusRule(t *testing.T) {
	objs := renderMonitoring(t)
	rule := objs["PrometheusRule"]
	if rule == nil || rule.GetAPIVersion() != "monitoring.coreos.com/v1" {
		t.Fatalf("no monitoring.coreos.com/v1 PrometheusRule rendered: %v", objs)
	}
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if len(groups) != 1 {
		t.Fatalf("%d rule groups, want 1", len(groups))
	}
	rules, _, _ := unstructured.NestedSlice(groups[0].(map[string]any), "rules")
	want := map[string]string{
		"ClusterBackupFailing":               string(fleet.Failing),
		"ClusterBackupLate":                  string(fleet.Late),
		"ClusterBackupNeverBackedUp":         string(fleet.NeverBackedUp),
		"ClusterBackupStorageUnreachable":    string(fleet.Unreachable),
		"ClusterBackupCredentialsMissing":    string(fleet.CredentialsMissing),
		"ClusterBackupFleetInventoryStale":   "",
		"ClusterBackupCredentialsNotCurrent": "",
		"ClusterBackupReleaseNotApplied":     "",
		"ClusterBackupDrillFailed":           "",
		"ClusterBackupDrillStale":            "",
		"ClusterBackupNeverDrilled":          "",
	}
	for _, r := range rules {
		r := r.(map[string]any)
		name, _ := r["alert"].(string)
		expr, _ := r["expr"].(string)
		verdict, ok := want[name]
		if !ok {
			t.Errorf("unexpected alert %q", name)
			continue
		}
		delete(want, name)
		checkExpr(t, name, expr)
		if verdict != "" && !strings.Contains(expr, `verdict="`+verdict+`"`) {
			t.Errorf("%s: %q does not select verdict %q", name, expr, verdict)
		}
		if _, err := model.ParseDuration(r["for"].(string)); err != nil {
			t.Errorf("%s: for %q: %v", name, r["for"], err)
		}
		ann, _ := r["annotations"].(map[string]any)
		if s, _ := ann["summary"].(string); s == "" || strings.Contains(s, "{{ `") {
			t.Errorf("%s: summary %q", name, s)
		}
	}
	for name := range want {
		t.Errorf("alert %s missing", name)
	}
	// Values change the rendered rule; disabled renders none.
	if objs := renderMonitoring(t, "--set", "prometheusRule.for.late=2h", "--set", "grafanaDashboard.enabled=false"); objs["ConfigMap"] != nil || !strings.Contains(mustJSON(t, objs["PrometheusRule"]), `"for":"2h"`) {
		t.Fatalf("values not applied: %v", objs)
	}
	if objs := renderMonitoring(t, "--set", "prometheusRule.enabled=false"); objs["PrometheusRule"] != nil {
		t.Fatal("prometheusRule.enabled=false still renders a PrometheusRule")
	}
}

// TestGrafanaDashboard: the dashboard ConfigMap holds valid Grafana JSON
// whose every query uses exported metrics only, covering the verdicts, the
// last success and the inventory.
func TestGrafanaDashboard(t *testing.T) {
	cm := renderMonitoring(t)["ConfigMap"]
	if cm == nil || cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Fatalf("no dashboard ConfigMap with the sidecar label: %v", cm)
	}
	raw, _, _ := unstructured.NestedString(cm.Object, "data", "grafana-fleet.json")
	var dash struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(raw), &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) < 5 {
		t.Fatalf("dashboard uid %q title %q with %d panels", dash.UID, dash.Title, len(dash.Panels))
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			checkExpr(t, "panel "+p.Title, tg.Expr)
			for _, m := range metricRef.FindAllString(tg.Expr, -1) {
				used[m] = true
			}
		}
	}
	for _, m := range []string{fleet.MetricVerdict, fleet.MetricClusters, fleet.MetricLastSuccess, fleet.MetricInventoryTime} {
		if !used[m] {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
}

func mustJSON(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	if u == nil {
		return ""
	}
	b, err := u.MarshalJSON()
	mustNoErr(t, err)
	return string(b)
}
