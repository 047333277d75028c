package credentials

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// eventsText returns every events.k8s.io Event of the seed as text, with
// the list itself.
func eventsText(t *testing.T, c client.Client) (string, []eventsv1.Event) {
	t.Helper()
	var list eventsv1.EventList
	testenv.Must(t, c.List(context.Background(), &list))
	var b strings.Builder
	for _, e := range list.Items {
		fmt.Fprintf(&b, "%s %s %s %s/%s: %s\n", e.Type, e.Reason, e.Action, e.Regarding.Kind, e.Regarding.Name, e.Note)
	}
	return b.String(), list.Items
}

// metricsText scrapes controller-runtime's registry (what the manager
// serves on /metrics): every series with its help, labels and value.
func metricsText(t *testing.T) string {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	testenv.Must(t, err)
	var b bytes.Buffer
	for _, mf := range mfs {
		fmt.Fprintf(&b, "# HELP %s %s\n", mf.GetName(), mf.GetHelp())
		for _, m := range mf.GetMetric() {
			fmt.Fprintf(&b, "%s{", mf.GetName())
			for _, lp := range m.GetLabel() {
				fmt.Fprintf(&b, "%s=%q,", lp.GetName(), lp.GetValue())
			}
			fmt.Fprintf(&b, "} %v\n", m.String())
		}
	}
	return b.String()
}

// gauge returns the value of a gauge series with exactly these labels
// (false when there is none).
func gauge(t *testing.T, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	testenv.Must(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue series
				}
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// assertNoSecret fails when any secret value occurs in any of the texts.
func assertNoSecret(t *testing.T, texts map[string]string, secrets ...string) {
	t.Helper()
	for what, text := range texts {
		if text == "" {
			t.Fatalf("leak scan: %s is empty; nothing was scanned", what)
		}
		// client-go dumps response bodies at verbosity >= 8: a Secret's
		// body must never be among them.
		if i := strings.Index(text, `"kind":"Secret"`); i >= 0 && strings.Contains(text[i:min(len(text), i+2000)], `"data":{`) {
			t.Fatalf("leak scan: a Secret's body is in the %s: %q", what, text[max(0, i-200):min(len(text), i+200)])
		}
		for _, s := range secrets {
			if s == "" {
				t.Fatal("leak scan: an empty secret to look for")
			}
			if i := strings.Index(text, s); i >= 0 {
				t.Fatalf("leak scan: a secret value is in the %s near %q", what, text[max(0, i-120):i])
			}
		}
	}
}
