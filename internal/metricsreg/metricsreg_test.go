package metricsreg

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegisterReusesExisting(t *testing.T) {
	reg := prometheus.NewRegistry()
	newVec := func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_total", Help: "x"}, []string{"l"})
	}
	first := Register(reg, newVec())
	second := Register(reg, newVec())
	if first != second {
		t.Fatal("a second registration did not return the collector already registered")
	}
	second.WithLabelValues("a").Inc()
	if got := testValue(t, reg); got != 1 {
		t.Fatalf("shared counter = %v, want 1", got)
	}
}

func testValue(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 {
		t.Fatalf("gather: %v, %d families", err, len(mfs))
	}
	return mfs[0].GetMetric()[0].GetCounter().GetValue()
}

func TestOperationLabel(t *testing.T) {
	for op, want := range map[string]string{"CREATE": "CREATE", "UPDATE": "UPDATE", "DELETE": "DELETE", "CONNECT": "CONNECT", "create": "other", "x\ny": "other", "": "other"} {
		if got := OperationLabel(op); got != want {
			t.Errorf("OperationLabel(%q) = %q; want %q", op, got, want)
		}
	}
}
