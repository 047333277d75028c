package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// benchFleet writes a fleet of n clusters over two CBSLs (the example ones)
// and returns its directory.
func benchFleet(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	root := testenv.RepoRoot()
	for _, f := range []string{"cbsl-backups-eu.yaml", "cbsl-team-b.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "examples", "fleet", f))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var sb strings.Builder
	for i := range n {
		project, loc := "jnpllgp66z", "backups-eu"
		if i%2 == 1 {
			project, loc = "q4mh2x8vbn", "team-b"
		}
		fmt.Fprintf(&sb, "---\napiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: c%06d\n  labels:\n    project-id: %s\nspec:\n  backupConfig:\n    backupStorageLocation:\n      name: %s\n", i, project, loc)
	}
	if err := os.WriteFile(filepath.Join(dir, "clusters.yaml"), []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// buildCLI builds the clusterbackup binary once per benchmark.
func buildCLI(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "clusterbackup")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// benchCLI runs the real binary once per iteration and reports wall time
// (ns/op) and the highest peak RSS of any run (peak-RSS-MiB).
func benchCLI(b *testing.B, args func(i int) []string) {
	bin := buildCLI(b)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	var peak int64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		cmd := exec.Command(bin, args(i)...)
		cmd.Stdout = devnull
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v: %s", err, stderr.String())
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peak {
			peak = ru.Maxrss // KiB on Linux
		}
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
}

// BenchmarkCLIFleet1000 renders a 1,000-cluster fleet with the CLI, one
// process per iteration, streaming YAML to /dev/null.
func BenchmarkCLIFleet1000(b *testing.B) {
	fleet := benchFleet(b, 1000)
	benchCLI(b, func(int) []string { return []string{"render", "-f", fleet} })
}

// BenchmarkCLIFleet1000Dir renders the same fleet into one folder per
// cluster (written to a temporary folder, then renamed).
func BenchmarkCLIFleet1000Dir(b *testing.B) {
	fleet := benchFleet(b, 1000)
	out := b.TempDir()
	benchCLI(b, func(i int) []string { return []string{"render", "-f", fleet, "-o", filepath.Join(out, fmt.Sprint(i))} })
}
