package rollout

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

func cfg(t *testing.T, spec string) config {
	t.Helper()
	c, err := parseConfig("test", "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: "+spec+"\n")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func members(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{ID: fmt.Sprintf("c%04d", i)}
	}
	return ms
}

// TestOrderStable: the order depends on the IDs only, not on how they are
// listed, so every process and every rollout meets the same clusters first.
func TestOrderStable(t *testing.T) {
	a := Order(members(50))
	b := members(50)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	b = Order(b)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("order depends on the input order")
	}
	if a[0].ID == "c0000" && a[1].ID == "c0001" {
		t.Fatal("order is the lexical order, not the hash order")
	}
}

// TestNextWave: canaries by count, percentage and selector, then batches,
// skipping the clusters that passed.
func TestNextWave(t *testing.T) {
	ordered := Order(members(20))
	ordered[7].Labels = map[string]string{"tier": "canary"}
	ordered[12].Labels = map[string]string{"tier": "canary"}
	ids := func(ms []Member) []string {
		out := []string{}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		o      Options
		passed []string
		wave   int
		want   []string
	}{
		"one canary":                 {o: Options{}, want: ids(ordered[:1])},
		"10% of 20 is two":           {o: Options{Canary: "10%"}, want: ids(ordered[:2])},
		"1% rounds up to one":        {o: Options{Canary: "1%"}, want: ids(ordered[:1])},
		"selector picks labelled":    {o: Options{Canary: "2", CanarySelector: "tier=canary"}, want: []string{ordered[7].ID, ordered[12].ID}},
		"selector without match":     {o: Options{CanarySelector: "tier=none"}, want: ids(ordered[:1])},
		"batch after the canary":     {o: Options{BatchSize: 5}, passed: ids(ordered[:1]), wave: 1, want: ids(ordered[1:6])},
		"last batch is what is left": {o: Options{BatchSize: 5}, passed: ids(ordered[:18]), wave: 5, want: ids(ordered[18:])},
		"nothing left":               {o: Options{}, passed: ids(ordered), wave: 3, want: []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			o := tc.o
			o.Default()
			if errs := o.Validate(nil); len(errs) > 0 {
				t.Fatal(errs)
			}
			passed := map[string]bool{}
			for _, id := range tc.passed {
				passed[id] = true
			}
			if got := nextWave(ordered, passed, tc.wave, o, o.selector); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOptionsRefused: each bad option is named by its path, and New
// refuses it.
func TestOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Canary: "0"}, "canary"},
		{Options{Canary: "150%"}, "canary"},
		{Options{Canary: "x"}, "canary"},
		{Options{CanarySelector: "a in ("}, "canarySelector"},
		{Options{BatchSize: -1}, "batchSize"},
		{Options{Deadline: duration.Of(time.Millisecond)}, "deadline"},
		{Options{Poll: duration.Of(time.Millisecond)}, "poll"},
	} {
		tc.o.Default()
		if errs := tc.o.Validate(field.NewPath("rollout")); len(errs) != 1 || errs[0].Field != "rollout."+tc.want {
			t.Errorf("%+v: Validate = %v, want one error on rollout.%s", tc.o, errs, tc.want)
		}
		if _, err := New(nil, nil, nil, nil, tc.o, "", nil, nil, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: New = %v, want an error naming %s", tc.o, err, tc.want)
		}
	}
}

// TestAdopt: first start, resume, a new target after a complete rollout,
// a fix and a rollback after a halt.
func TestAdopt(t *testing.T) {
	g, b, f := cfg(t, "{}"), cfg(t, "{registry: registry.invalid}"), cfg(t, "{nodeAgent: false}")
	if g.ID == b.ID || b.ID == f.ID {
		t.Fatal("different configurations share a generation")
	}
	if st, changed := adopt(state{}, false, g); changed || st.Phase != PhaseComplete || st.Good.ID != g.ID || st.Target.ID != g.ID {
		t.Fatalf("first start: %+v %v", st, changed)
	}
	mid := state{Phase: PhaseProgressing, Good: g, Target: b, Wave: 2, Passed: map[string]bool{"x": true}}
	if st, changed := adopt(mid, true, b); changed || st.Wave != 2 || !st.Passed["x"] {
		t.Fatalf("resume: %+v %v", st, changed)
	}
	if st, _ := adopt(state{Phase: PhaseComplete, Good: g, Target: g}, true, b); st.Phase != PhaseProgressing || st.Good.ID != g.ID || st.Target.ID != b.ID || st.Previous.ID != "" || st.Wave != 0 {
		t.Fatalf("new target: %+v", st)
	}
	halted := state{Phase: PhaseHalted, Good: g, Target: b}
	if st, _ := adopt(halted, true, f); st.Good.ID != g.ID || st.Target.ID != f.ID || st.Previous.ID != b.ID {
		t.Fatalf("fix after a halt: %+v", st)
	}
	if st, _ := adopt(halted, true, g); st.Phase != PhaseProgressing || st.Good.ID != g.ID || st.Target.ID != g.ID || st.Previous.ID != b.ID {
		t.Fatalf("rollback after a halt: %+v", st)
	}
}

// TestStateRoundTrip: what is stored is read back.
func TestStateRoundTrip(t *testing.T) {
	st := state{Phase: PhaseHalted, Good: cfg(t, "{}"), Target: cfg(t, "{registry: registry.invalid}"), Previous: cfg(t, "{nodeAgent: false}"),
		Wave: 3, WaveStarted: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), Members: []string{"a", "b"},
		Passed: map[string]bool{"c": true, "d": true}, CanaryPassed: true, Failures: []Failure{{Cluster: "a", Reason: ReasonImagePull, Message: "m"}}}
	got, err := parseState("x", st.data())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.data(), st.data()) || got.Target.ID != st.Target.ID {
		t.Fatalf("round trip:\n%v\n%v", got.data(), st.data())
	}
	if _, err := parseState("x", map[string]string{keyPhase: "dancing"}); err == nil || !strings.Contains(err.Error(), `unknown phase "dancing"`) {
		t.Fatalf("bad phase: %v", err)
	}
}

// TestWorkloadDone: what `kubectl rollout status` waits for.
func TestWorkloadDone(t *testing.T) {
	avail := []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
	d := func(gen, obs int64, replicas, updated, available int32) *appsv1.Deployment {
		x := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)}}
		x.Generation = gen
		x.Status = appsv1.DeploymentStatus{ObservedGeneration: obs, Replicas: replicas, UpdatedReplicas: updated, AvailableReplicas: available, Conditions: avail}
		return x
	}
	for name, tc := range map[string]struct {
		d    *appsv1.Deployment
		want bool
	}{
		"rolled out":          {d(2, 2, 1, 1, 1), true},
		"not observed":        {d(3, 2, 1, 1, 1), false},
		"old replica serving": {d(2, 2, 2, 1, 1), false},
		"updated unavailable": {d(2, 2, 1, 1, 0), false},
	} {
		if _, ok := deploymentDone(tc.d); ok != tc.want {
			t.Errorf("%s: done %v, want %v", name, ok, tc.want)
		}
	}
	ds := &appsv1.DaemonSet{}
	ds.Generation = 1
	ds.Status = appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 2, UpdatedNumberScheduled: 2, NumberAvailable: 1}
	if msg, ok := daemonSetDone(ds); ok || msg != "1 of 2 pods available" {
		t.Fatalf("daemonset: %q %v", msg, ok)
	}
}

// TestFor: which configuration each cluster renders during a rollout.
func TestFor(t *testing.T) {
	g, b, f := cfg(t, "{}"), cfg(t, "{registry: registry.invalid}"), cfg(t, "{nodeAgent: false}")
	ro := &Rollout{loaded: true, st: state{Phase: PhaseProgressing, Good: g, Target: f, Previous: b,
		Members: []string{"member"}, Passed: map[string]bool{"passed": true}}}
	for name, tc := range map[string]struct {
		cluster, recorded string
		canaryPassed      bool
		want              string
	}{
		"wave member":                            {"member", g.ID, false, f.ID},
		"passed":                                 {"passed", g.ID, false, f.ID},
		"not reached keeps the good one":         {"other", g.ID, true, g.ID},
		"not reached keeps the abandoned target": {"other", b.ID, true, b.ID},
		"holds the target already":               {"other", f.ID, false, f.ID},
		"new while canaries are judged":          {"new", "", false, g.ID},
		"new after the canaries passed":          {"new", "", true, f.ID},
	} {
		ro.st.CanaryPassed = tc.canaryPassed
		got, err := ro.For(t.Context(), tc.cluster, tc.recorded)
		if err != nil || got.ID != tc.want {
			t.Errorf("%s: %s (%v), want %s", name, got.ID, err, tc.want)
		}
	}
	ro.st.Phase = PhaseComplete
	if got, _ := ro.For(t.Context(), "other", g.ID); got.ID != f.ID {
		t.Errorf("complete: %s, want the target", got.ID)
	}
}
