package renderer

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/clusterbackup/clusterbackup/examples"
)

func exampleFleet(tb testing.TB) []Input {
	tb.Helper()
	in, err := LoadInputsFS(examples.Fleet, "fleet")
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

// syntheticFleet returns n distinct clusters spread over the example CBSLs.
func syntheticFleet(tb testing.TB, n int) []Input {
	base := exampleFleet(tb)
	out := make([]Input, n)
	for i := range out {
		in := base[i%len(base)]
		c := in.Cluster.DeepCopy()
		c.Name = fmt.Sprintf("c%07d", i)
		in.Cluster = c
		out[i] = in
	}
	return out
}

// BenchmarkRender renders one cluster per iteration through the library.
func BenchmarkRender(b *testing.B) {
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	fleet := exampleFleet(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := r.Render(context.Background(), fleet[i%len(fleet)])
		if err != nil {
			b.Fatal(err)
		}
		if err := res.WriteYAML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderFleet1000 renders a 1,000-cluster fleet per iteration.
func BenchmarkRenderFleet1000(b *testing.B) {
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	fleet := syntheticFleet(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		err := r.RenderFleet(context.Background(), fleet, func(res Result) error { return res.WriteYAML(io.Discard) })
		if err != nil {
			b.Fatal(err)
		}
	}
}
