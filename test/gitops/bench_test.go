package gitopstest

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCMPGenerate execs the built binary as the repo server's sidecar
// does (`cmp generate` in the application directory with Argo CD's
// variables) for one cluster of the example fleet; one op is one process,
// so ns/op is the wall time Argo CD waits per refresh. The hardened case
// adds the overlay (kustomize in memory). cpu-ms/op is the process's user +
// system time, which other load on the machine inflates less than wall time.
func BenchmarkCMPGenerate(b *testing.B) {
	apps := applicationsFromSet(b)
	app := apps["xkc6lgmfsn"]
	for _, tc := range []struct {
		name  string
		extra map[string]string
	}{
		{"default", nil},
		{"hardened", map[string]string{"OVERLAY": "hardened"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			repo := argoRepo(b, app.Spec.Source.Path)
			env := argoEnv(b, app, tc.extra)
			dir := filepath.Join(repo, app.Spec.Source.Path)
			var max, cpu time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(binary(), "cmp", "generate")
				cmd.Dir, cmd.Env = dir, env
				start := time.Now()
				out, err := cmd.Output()
				if d := time.Since(start); d > max {
					max = d
				}
				if err != nil || len(out) == 0 {
					b.Fatalf("cmp generate: %v", err)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(max.Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
