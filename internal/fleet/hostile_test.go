package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
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

// Scale of the hostile prefix: valid-named backups with 1 KiB phases,
// schedule labels and failure reasons (the lexically last few, which are
// read, with phases close to the 1 MiB metadata limit), and folders whose
// names are longer than a Kubernetes name may be, timestamped newer than
// the cluster's real backups.
const (
	hostileValid   = 10000
	hostileForeign = 10000
	hostileHuge    = 5
)

// hostileName is a DNS-1123 subdomain of exactly 253 characters (the
// longest name a Backup may have), unique by i, without a timestamp.
func hostileName(i int) string {
	first := fmt.Sprintf("x%05d", i) + strings.Repeat("a", 57)
	return first + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
}

// TestHostilePrefixBounded: one tenant's prefix on a real versitygw holds
// 20,000 backup folders with names, phases and labels as long as storage
// allows. The scan keeps a bounded amount of memory for the cluster (the
// report's share of the heap and its JSON), drops the names no Velero
// Backup can have, counts unknown phases as Unknown, clips the labels, and
// still judges the cluster by its real backups.
func TestHostilePrefixBounded(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	mustNoErr(t, s.CreateBucket(ctx, bucket))
	now := time.Now().UTC().Truncate(time.Second)
	const prefix = "seed/p/hostile"
	kib := strings.Repeat("P", 1<<10)

	var backups []fleettest.Backup
	for i := range 3 { // the real ones: hourly, the newest 20 minutes old
		backups = append(backups, fleettest.Backup{Schedule: "hourly", Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-20*time.Minute - time.Duration(i)*time.Hour), Took: time.Minute})
	}
	for i := range hostileValid {
		phase := kib
		if i >= hostileValid-hostileHuge { // the ones read first
			phase = fmt.Sprint(i) + strings.Repeat("H", 900<<10)
		}
		backups = append(backups, fleettest.Backup{Name: hostileName(i), Schedule: kib, Phase: velerov1.BackupPhase(phase), FailureReason: kib, Started: now.Add(-time.Minute), Took: time.Second})
	}
	for i := range hostileForeign { // 255 characters (a posix file name's limit), newer than the real ones
		ts := now.Add(-time.Duration(i) * time.Second).Format("20060102150405")
		backups = append(backups, fleettest.Backup{Name: strings.Repeat("f", 255-len(ts)-6) + fmt.Sprintf("%05d-", i) + ts, Schedule: kib, Phase: velerov1.BackupPhaseFailed, FailureReason: kib, Started: now, Took: time.Second})
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	work := make(chan fleettest.Backup)
	for range 4 {
		wg.Go(func() {
			for b := range work {
				if err := fleettest.WriteFile(s.DataDir, bucket, prefix, b); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	for _, b := range backups {
		work <- b
	}
	close(work)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}

	loc, sec := cbsl("loc", "p", s.Endpoint, s.RootAccessKey, s.RootSecretKey)
	c := fleet.ClusterFor(ctx, kkpCluster("hostile", "p", "loc"), loc, secretsOf(sec), []fleet.Schedule{schedule(t, "hourly", "0 * * * *")})
	opts := fleet.Options{
		Checker:        s3check.New(s3check.Options{Policy: allowLoopback}),
		MaxListPages:   25, // every folder is listed
		ClusterTimeout: 5 * time.Minute,
	}

	if _, err := json.Marshal(fleet.Status{LastSuccess: &fleet.Backup{}}); err != nil { // encoding/json's encoders, cached for good
		t.Fatal(err)
	}
	start := liveHeap()
	peak := samplePeakHeap()
	rep := fleet.Inventory(ctx, []fleet.Cluster{c}, opts)
	peakHeap := peak()
	withReport := liveHeap()
	st := rep.Clusters[0]
	if st.Verdict != fleet.Protected || !strings.Contains(st.Reason, "last successful backup hourly-") {
		t.Errorf("verdict %s (%s), want protected by the newest hourly backup", st.Verdict, st.Reason)
	}
	// Listed: the real and the valid-named ones; the long names counted
	// apart. Read: 7 of the names without a timestamp (3 reads kept for the
	// 3 scheduled ones), then the newest hourly one, Completed.
	if st.Stored != 3+hostileValid || st.Foreign != hostileForeign || st.ListTruncated {
		t.Errorf("stored %d, foreign %d, truncated %v; want %d, %d, false", st.Stored, st.Foreign, st.ListTruncated, 3+hostileValid, hostileForeign)
	}
	if st.Inspected != 8 || st.Phases[fleet.PhaseUnknown] != 7 || st.Phases[velerov1.BackupPhaseCompleted] != 1 || len(st.Phases) != 2 {
		t.Errorf("inspected %d, phases %.300v; want 8: Unknown 7, Completed 1", st.Inspected, st.Phases)
	}
	if ls := st.LastSuccess; ls == nil || ls.Schedule != "hourly" || st.LastFailure != nil {
		t.Errorf("last success %.300v, last failure %.300v; want the newest hourly backup and none", st.LastSuccess, st.LastFailure)
	}
	js, err := json.Marshal(st)
	mustNoErr(t, err)
	if len(js) > 4<<10 {
		t.Errorf("the cluster's status is %d bytes of JSON, want at most 4 KiB: %.2000s", len(js), js)
	}
	requests, took := st.Requests, time.Duration(st.ScanDuration)

	// The report's share of the heap: live heap with it minus without it
	// (rep and st are dead from here on).
	without := liveHeap()
	runtime.KeepAlive(&c) // the inputs stay, only the report goes
	runtime.KeepAlive(&opts)
	kept := withReport - without
	t.Logf("hostile cluster: the report keeps %d KiB of heap, its JSON %d bytes; peak heap %.1f MiB during the scan (%.1f MiB above the start), %d KiB more live heap after it; %d requests in %s",
		kept>>10, len(js), float64(peakHeap)/(1<<20), float64(int64(peakHeap)-start)/(1<<20), (without-start)>>10, requests, took)
	if kept > 64<<10 {
		t.Errorf("the report keeps %d KiB of heap for one cluster, want at most 64 KiB", kept>>10)
	}
}

// liveHeap returns the heap in use after full collections: three, with
// time for finalizers between them, so that what sync.Pools held and what
// finalizers released (closed connections) is gone too.
func liveHeap() int64 {
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// samplePeakHeap samples the heap every 2ms until the returned function is
// called, which returns the highest HeapAlloc seen.
func samplePeakHeap() func() uint64 {
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak.Load()
	}
}
