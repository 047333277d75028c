package admissionpolicy

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkBackupCreate measures the latency of creating a velero-CLI-shaped
// Backup through the real kube-apiserver with no policies, with the
// validating policies, and with validating + mutating policies (no webhook
// in any case). p50/p99 are reported per sub-benchmark.
func BenchmarkBackupCreate(b *testing.B) {
	for _, tc := range []struct {
		name                 string
		validating, mutating bool
	}{
		{"none", false, false},
		{"validating", true, false},
		{"validating+mutating", true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := startCluster(b, tc.validating, tc.mutating)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				obj := cliBackup(sprintf("bench-%d", i))
				start := time.Now()
				if err := c.Client.Create(c.ctx, obj); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
