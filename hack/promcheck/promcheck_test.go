// Package promcheck parses the PromQL of the fleet-monitoring chart (its
// PrometheusRule and Grafana dashboard) with Prometheus's own parser. It is
// a module of its own so that the main module does not take on
// Prometheus's dependency graph; `make test` runs it.
package promcheck

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// chart is the chart directory, relative to this module.
const chart = "../../charts/fleet-monitoring"

// helmBin returns the helm the project's tools.sh built.
func helmBin(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("../tools.sh", "path", "helm").Output()
	if err != nil {
		t.Fatalf("helm is not installed: run hack/tools.sh install helm (%v)", err)
	}
	p := strings.TrimSpace(string(out))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("helm is not installed at %s: run hack/tools.sh install helm", p)
	}
	return p
}

// TestRuleExpressionsParse renders the chart with helm and parses every
// alert expression with the PromQL parser.
func TestRuleExpressionsParse(t *testing.T) {
	out, err := exec.Command(helmBin(t), "template", "fm", chart, "--show-only", "templates/prometheusrule.yaml").Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	var rule struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Alert, Expr string
				}
			}
		}
	}
	if err := yaml.Unmarshal(out, &rule); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			n++
			if _, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr); err != nil {
				t.Errorf("alert %s: %q: %v", r.Alert, r.Expr, err)
			}
		}
	}
	if n < 5 {
		t.Fatalf("parsed %d alert expressions, want at least 5", n)
	}
}

// TestDashboardQueriesParse parses every Grafana target expression, with
// Grafana's $variables replaced by values as Grafana would.
func TestDashboardQueriesParse(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chart, "files", "grafana-fleet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			n++
			expr := strings.NewReplacer("$project", ".*", "${project}", ".*").Replace(tg.Expr)
			if _, err := parser.NewParser(parser.Options{}).ParseExpr(expr); err != nil {
				t.Errorf("panel %q: %q: %v", p.Title, tg.Expr, err)
			}
		}
	}
	if n < 5 {
		t.Fatalf("parsed %d dashboard queries, want at least 5", n)
	}
}
