package renderer

import (
	"bufio"
	"context"
	"io"
	"testing"
)

// benchLifecycle renders one cluster per iteration like benchRender, with a
// life cycle: every cluster switched from an older CBSL of its project.
func benchLifecycle(b *testing.B, disabled bool) {
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	fleet := syntheticFleet(b, 1000)
	lcs := make([]Lifecycle, len(fleet))
	for i, in := range fleet {
		lcs[i] = Lifecycle{Previous: []PreviousLocation{{CBSL: oldCBSL(in, in.CBSL.Name+"-old", "legacy")}}, Disabled: disabled}
	}
	w := bufio.NewWriterSize(io.Discard, 1<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := r.RenderLifecycle(context.Background(), fleet[i%len(fleet)], lcs[i%len(fleet)])
		if err != nil {
			b.Fatal(err)
		}
		if err := res.WriteYAML(w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderLifecyclePrevious: a switched cluster (one read-only
// previous BSL) costs what BenchmarkRender costs: the shape stays cached.
func BenchmarkRenderLifecyclePrevious(b *testing.B) { benchLifecycle(b, false) }

// BenchmarkRenderLifecycleDisabled renders those clusters disabled (the
// chart's value disabled: a cached shape like any other).
func BenchmarkRenderLifecycleDisabled(b *testing.B) { benchLifecycle(b, true) }

// BenchmarkDiff compares two renders of one cluster (a storage switch).
func BenchmarkDiff(b *testing.B) {
	in := exampleFleet(b)[0]
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	old, err := r.Render(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	next, err := r.RenderLifecycle(context.Background(), in, Lifecycle{Previous: []PreviousLocation{{CBSL: oldCBSL(in, "old", "legacy")}}})
	if err != nil {
		b.Fatal(err)
	}
	a, err := old.Objects()
	if err != nil {
		b.Fatal(err)
	}
	c, err := next.Objects()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if rep := Diff(a, c, DiffOptions{}); rep.Dangerous() || len(rep.Created) != 1 {
			b.Fatalf("unexpected report %+v", rep)
		}
	}
}
