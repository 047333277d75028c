package renderer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
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

// benchRender renders one cluster per iteration (fresh cluster IDs, the
// example CBSLs) and writes the release as YAML.
func benchRender(b *testing.B, opts Options, noCache bool) {
	r, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	r.noCache = noCache
	fleet := syntheticFleet(b, 1000)
	w := bufio.NewWriterSize(io.Discard, 1<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := r.Render(context.Background(), fleet[i%len(fleet)])
		if err != nil {
			b.Fatal(err)
		}
		if err := res.WriteYAML(w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender is the library's steady state: one cluster per iteration,
// CRDs and the per-CBSL render shared, IDs substituted.
func BenchmarkRender(b *testing.B) { benchRender(b, Options{}, false) }

// BenchmarkRenderFull renders every cluster through Helm's engine in full
// (schema validation, templates, parsing): the cost without the shape cache.
func BenchmarkRenderFull(b *testing.B) { benchRender(b, Options{}, true) }

// BenchmarkRenderOverlay is BenchmarkRender with the hardened overlay.
func BenchmarkRenderOverlay(b *testing.B) { benchRender(b, Options{Overlay: "hardened"}, false) }

// BenchmarkRenderFleet1000 renders a 1,000-cluster fleet per iteration
// through RenderFleet (all CPUs), writing YAML.
func BenchmarkRenderFleet1000(b *testing.B) {
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	fleet := syntheticFleet(b, 1000)
	w := bufio.NewWriterSize(io.Discard, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		err := r.RenderFleet(context.Background(), fleet, func(res Result) error { return res.WriteYAML(w) })
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHelmTemplateProcess is the baseline: one `helm template` process
// per cluster (the real helm CLI, the same chart, values from Values, CRDs
// included), output discarded.
func BenchmarkHelmTemplateProcess(b *testing.B) {
	helm := testenv.MustTool(b, "helm")
	chartDir := filepath.Join(testenv.RepoRoot(), "charts", "velero-managed")
	dir := b.TempDir()
	var files []string
	for i, in := range syntheticFleet(b, 16) {
		v, err := Values(in, Options{})
		if err != nil {
			b.Fatal(err)
		}
		y, err := yaml.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("values-%d.yaml", i))
		if err := os.WriteFile(f, y, 0o600); err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	env := append(os.Environ(), "HELM_CACHE_HOME="+dir, "HELM_CONFIG_HOME="+dir, "HELM_DATA_HOME="+dir)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		args := append([]string{"template", ReleaseName, chartDir, "--namespace", "velero", "--include-crds", "-f", files[i%len(files)]}, HelmTemplateArgs(Options{})...)
		cmd := exec.Command(helm, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("helm: %v\n%s", err, stderr.String())
		}
	}
}
