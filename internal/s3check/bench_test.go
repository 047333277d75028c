package s3check_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// reportLatency adds p50/p99/max of the per-operation durations.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
	b.ReportMetric(float64(d[len(d)-1].Nanoseconds()), "max-ns")
}

// BenchmarkCachedCheck measures a decision served from the cache after one
// real check against versitygw.
func BenchmarkCachedCheck(b *testing.B) {
	ctx := context.Background()
	s := s3env.Start(b)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		b.Fatal(err)
	}
	c := s3check.New(s3check.Options{Policy: allowLoopback})
	tg := rootTarget(s, "backups", "seed/p1")
	if r := c.Check(ctx, tg); !r.OK() {
		b.Fatal(r.Message)
	}
	d := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r := c.Check(ctx, tg)
		d = append(d, time.Since(start))
		if !r.Cached {
			b.Fatal("not cached")
		}
	}
	b.StopTimer()
	reportLatency(b, d)
}

// BenchmarkBlackHoledEndpoint measures a check of an endpoint that accepts
// connections and never answers: it must cost at most the budget (default
// 3s), never the API server's timeout.
func BenchmarkBlackHoledEndpoint(b *testing.B) {
	l := testenv.StartSilentListener(b, "127.0.0.1:0")
	c := s3check.New(s3check.Options{Policy: allowLoopback, FailureTTL: duration.Of(-1)})
	tg := s3check.Target{Location: storage.Location{Endpoint: "http://" + l.Addr().String(), Region: "us-east-1", Bucket: "backups",
		Credentials: creds.Static{AccessKeyID: "ak", SecretAccessKey: "sk"}}}
	var d []time.Duration
	for b.Loop() {
		start := time.Now()
		r := c.Check(context.Background(), tg)
		d = append(d, time.Since(start))
		if r.Class != s3check.ClassTimeout {
			b.Fatalf("%s: %s", r.Class, r.Message)
		}
	}
	reportLatency(b, d)
	b.ReportMetric(float64(c.Options().Budget.Nanoseconds()), "budget-ns")
}
