package fleet_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// Scale of the benchmark fleet: projects × clusters per project, backups
// per cluster.
const (
	benchProjects = 10
	benchClusters = 100
	benchBackups  = 30
)

// countRequests counts every request that reaches the transport.
type countRequests struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countRequests) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// benchFleet seeds versitygw with 1,000 clusters of 30 hourly backups each,
// written straight into its posix data directory (the layout it serves:
// <dir>/<bucket>/<key>). The newest failed backups of every cluster with
// failing(cluster index) come first.
func benchFleet(b *testing.B, failed func(c int) int) ([]fleet.Cluster, *s3env.Server) {
	b.Helper()
	ctx := context.Background()
	s := s3env.Start(b)
	mustNoErr(b, s.CreateBucket(ctx, bucket))
	now := time.Now()
	hourly := schedule(b, "hourly", "0 * * * *")
	var clusters []fleet.Cluster
	var wg sync.WaitGroup
	errs := make(chan error, benchProjects*benchClusters)
	sem := make(chan struct{}, 8)
	for p := range benchProjects {
		project := fmt.Sprintf("proj%02d", p)
		loc, sec := cbsl("loc-"+project, project, s.Endpoint, s.RootAccessKey, s.RootSecretKey)
		get := secretsOf(sec)
		for c := range benchClusters {
			id := fmt.Sprintf("c%02d%03d", p, c)
			clusters = append(clusters, fleet.ClusterFor(ctx, kkpCluster(id, project, loc.Name), loc, get, []fleet.Schedule{hourly}))
			nFailed := failed(c)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				for i := range benchBackups {
					phase := velerov1.BackupPhaseCompleted
					if i < nFailed {
						phase = velerov1.BackupPhaseFailed
					}
					bk := fleettest.Backup{Schedule: "hourly", Phase: phase, Started: now.Add(-10*time.Minute - time.Duration(i)*time.Hour), Took: time.Minute}
					if err := fleettest.WriteFile(s.DataDir, bucket, "seed/"+project+"/"+id, bk); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return clusters, s
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkInventory1000 inventories 1,000 clusters with 30 backups each on
// versitygw (2 cores shared with it): wall time per inventory, S3 requests
// per cluster, peak Go heap during the inventory and the process's peak RSS.
// Every 10th cluster's two newest backups failed.
//
//	go test -run '^$' -bench BenchmarkInventory1000 -benchtime 3x ./internal/fleet/
func BenchmarkInventory1000(b *testing.B) {
	clusters, _ := benchFleet(b, func(c int) int {
		if c%10 == 0 {
			return 2
		}
		return 0
	})
	n := len(clusters)
	benchInventory(b, clusters, func(rep *fleet.Report) bool {
		return rep.Summary[fleet.Protected] == n*9/10 && rep.Summary[fleet.Failing] == n/10
	})
}

// BenchmarkInventory1000AllFailing is the worst case of the read bound:
// every cluster's 10 newest backups failed, so each costs 1 list and
// MaxReads (10) gets.
func BenchmarkInventory1000AllFailing(b *testing.B) {
	clusters, _ := benchFleet(b, func(int) int { return 10 })
	benchInventory(b, clusters, func(rep *fleet.Report) bool { return rep.Summary[fleet.Failing] == len(clusters) })
}

func benchInventory(b *testing.B, clusters []fleet.Cluster, ok func(*fleet.Report) bool) {
	var requests atomic.Int64
	opts := fleet.Options{
		Checker: s3check.New(s3check.Options{Policy: allowLoopback}),
		Wrap:    func(rt http.RoundTripper) http.RoundTripper { return countRequests{rt, &requests} },
	}
	runtime.GC()
	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peakHeap.Load() {
				peakHeap.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	var rep *fleet.Report
	b.ResetTimer()
	for b.Loop() {
		rep = fleet.Inventory(context.Background(), clusters, opts)
	}
	b.StopTimer()
	close(stop)
	<-sampled
	n := len(clusters)
	if !ok(rep) {
		b.Fatalf("unexpected summary %v", rep.Summary)
	}
	b.ReportMetric(float64(requests.Load())/float64(b.N)/float64(n), "requests/cluster")
	b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/inventory")
}
