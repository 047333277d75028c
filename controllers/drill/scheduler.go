package drill

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Clients reaches user clusters by cluster ID (controllers/userclient).
type Clients interface {
	For(ctx context.Context, clusterID string) (client.Client, error)
}

// Event reasons on the Cluster.
const (
	ReasonPassed  = "DrillPassed"
	ReasonFailed  = "DrillFailed"
	ReasonSkipped = "DrillSkipped"
)

// Scheduler is the leader-only loop of scheduled drills (package doc). It
// is a controller-runtime manager.Runnable.
type Scheduler struct {
	// Reader reads Clusters and CBSLs on the seed (uncached).
	Reader client.Reader
	// CBSLNamespace holds the CBSLs and their Secrets.
	CBSLNamespace string
	// Secrets reads the CBSLs' credential Secrets.
	Secrets storage.SecretGetter
	// Users reaches user clusters.
	Users Clients
	// Runner runs each drill.
	Runner *Runner
	// Recorder records Events on Clusters; optional.
	Recorder events.EventRecorder
	// Metrics are optional.
	Metrics *Metrics
	// Log receives one line per drill.
	Log logr.Logger
	// Rand returns a float in [0, 1) for the jitter; default math/rand.
	Rand func() float64

	mu      sync.Mutex
	next    map[string]time.Time
	running map[string]bool
	seen    map[string][2]string // cluster → project, cluster
	wg      sync.WaitGroup
	// cleaners bounds the first-sight cleanups running at once; cleaning
	// holds the clusters being cleaned (no drill starts there meanwhile).
	cleaners chan struct{}
	cleaning map[string]bool
	// freed is signalled when a drill ends, so Start looks for the next due
	// cluster at once instead of leaving the slot empty until the tick.
	freed chan struct{}
}

// NeedLeaderElection is true: drills run on the Lease holder only.
func (s *Scheduler) NeedLeaderElection() bool { return true }

// Start looks for due clusters every Options.Tick and whenever a drill ends
// (its slot is free for the next due cluster: without that, the tick, not
// the cap, bounded the fleet's drill rate at MaxConcurrent per tick) until
// ctx ends, then waits for the running drills (each cleans up within its
// bounds).
func (s *Scheduler) Start(ctx context.Context) error {
	s.init()
	t := time.NewTicker(s.Runner.Options.Tick.Duration)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil {
			s.Log.Error(err, "drill schedule")
		}
		select {
		case <-ctx.Done():
			s.wg.Wait()
			return nil
		case <-t.C:
		case <-s.freed:
		}
	}
}

func (s *Scheduler) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next, s.running, s.seen = map[string]time.Time{}, map[string]bool{}, map[string][2]string{}
		s.cleaners, s.cleaning = make(chan struct{}, 4), map[string]bool{}
		s.freed = make(chan struct{}, 1)
	}
	if s.Rand == nil {
		s.Rand = rand.Float64
	}
}

// Tick starts the drills that are due, at most Options.MaxConcurrent
// running at once. A cluster seen for the first time (a new cluster, a new
// leader) is due one Interval (±10%) after its newest record, or at a
// random time within one Interval when it has none; until then, what an
// interrupted drill left in it is removed at once (every drill also starts
// with that cleanup).
func (s *Scheduler) Tick(ctx context.Context) error {
	s.init()
	var cl kkpv1.ClusterList
	if err := s.Reader.List(ctx, &cl); err != nil {
		return fmt.Errorf("list clusters: %w", err)
	}
	var cbsls kkpv1.ClusterBackupStorageLocationList
	if err := s.Reader.List(ctx, &cbsls, client.InNamespace(s.CBSLNamespace)); err != nil {
		return fmt.Errorf("list clusterbackupstoragelocations in %s: %w", s.CBSLNamespace, err)
	}
	byName := map[string]*kkpv1.ClusterBackupStorageLocation{}
	for i := range cbsls.Items {
		byName[cbsls.Items[i].Name] = &cbsls.Items[i]
	}
	now := s.Runner.now()
	present := map[string]bool{}
	for i := range cl.Items {
		c := &cl.Items[i]
		if c.StorageLocationName() == "" || c.DeletionTimestamp != nil || c.Annotations[core.OptOutAnnotation] == core.OptOutValue {
			continue
		}
		present[c.Name] = true
		s.mu.Lock()
		due, known := s.next[c.Name]
		busy := s.running[c.Name] || s.cleaning[c.Name] || s.runningCount() >= s.Runner.Options.MaxConcurrent
		s.mu.Unlock()
		if known && (now.Before(due) || busy) {
			continue
		}
		fc := fleet.ClusterFor(ctx, c, byName[c.StorageLocationName()], s.Secrets, nil)
		if !known {
			due = s.firstDue(ctx, fc, now)
			s.mu.Lock()
			s.next[c.Name] = due
			s.mu.Unlock()
			if now.Before(due) || busy {
				// What a drill interrupted by a crash or a leader change
				// left goes now, not at this cluster's next drill.
				s.mu.Lock()
				s.cleaning[c.Name] = true
				s.mu.Unlock()
				s.wg.Add(1)
				go s.cleanup(ctx, c.Name)
				continue
			}
		}
		s.mu.Lock()
		s.running[c.Name] = true
		s.seen[c.Name] = [2]string{fc.ProjectID, c.Name}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.drill(ctx, c.DeepCopy(), fc)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.next {
		if !present[id] && !s.running[id] {
			delete(s.next, id)
			if ids, ok := s.seen[id]; ok {
				s.Metrics.forget(ids[0], ids[1])
				delete(s.seen, id)
			}
		}
	}
	return nil
}

// cleanup removes what earlier drills left in a cluster seen for the
// first time whose drill is not due yet (at most 4 at once, bounded by
// the cleanup timeout); a failure waits for the cluster's next drill.
func (s *Scheduler) cleanup(ctx context.Context, clusterID string) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.cleaning, clusterID)
		s.mu.Unlock()
	}()
	s.cleaners <- struct{}{}
	defer func() { <-s.cleaners }()
	ctx, cancel := context.WithTimeout(ctx, s.Runner.Options.CleanupTimeout.Duration)
	defer cancel()
	user, err := s.Users.For(ctx, clusterID)
	if err == nil {
		_, err = Cleanup(ctx, user, s.Runner.Options.VeleroNamespace, 0)
	}
	if err != nil {
		s.Log.V(1).Info("drill leftovers not removed", "cluster", clusterID, "reason", err.Error())
	}
}

// runningCount counts the running drills; s.mu is held.
func (s *Scheduler) runningCount() int {
	n := 0
	for _, r := range s.running {
		if r {
			n++
		}
	}
	return n
}

// firstDue is when a cluster seen for the first time is due.
func (s *Scheduler) firstDue(ctx context.Context, c fleet.Cluster, now time.Time) time.Time {
	iv := s.Runner.Options.Interval.Duration
	if last, ok := s.lastRecord(ctx, c); ok {
		return NextDue(last, iv, s.Rand())
	}
	return now.Add(time.Duration(s.Rand() * float64(iv)))
}

// NextDue is one interval after last, ±10% by r in [0, 1).
func NextDue(last time.Time, interval time.Duration, r float64) time.Time {
	return last.Add(time.Duration(float64(interval) * (0.9 + 0.2*r)))
}

// lastRecord returns the time of the cluster's newest record.
func (s *Scheduler) lastRecord(ctx context.Context, c fleet.Cluster) (time.Time, bool) {
	if c.Err != nil {
		return time.Time{}, false
	}
	dir, err := core.Dir(c.Location.Prefix, c.ProjectID, c.ClusterID)
	if err != nil {
		return time.Time{}, false
	}
	cl, err := s.Runner.Checker.Client(ctx, s3check.TargetFrom(c.Location), s3check.ClientOptions{})
	if err != nil {
		return time.Time{}, false
	}
	defer cl.Close()
	keys, err := core.Store{Client: cl, Bucket: c.Location.Bucket, Dir: dir}.Keys(ctx)
	if err != nil || len(keys) == 0 {
		return time.Time{}, false
	}
	return core.KeyTime(keys[len(keys)-1])
}

// drill runs one drill and schedules the next.
func (s *Scheduler) drill(ctx context.Context, c *kkpv1.Cluster, fc fleet.Cluster) {
	defer s.wg.Done()
	if s.Metrics != nil {
		s.Metrics.Running.Inc()
		defer s.Metrics.Running.Dec()
	}
	rec, key, err := s.runOne(ctx, fc)
	now := s.Runner.now()
	next := NextDue(now, s.Runner.Options.Interval.Duration, s.Rand())
	switch {
	case errors.Is(err, ErrNothingToDrill):
		s.event(c, corev1.EventTypeNormal, ReasonSkipped, err.Error())
	case err != nil && rec == nil:
		// Nothing was restored: try again within an hour.
		next = now.Add(min(s.Runner.Options.Interval.Duration, time.Hour))
		if s.Metrics != nil {
			s.Metrics.Total.WithLabelValues("error").Inc()
		}
		s.event(c, corev1.EventTypeWarning, ReasonFailed, "drill not run: "+err.Error())
		s.Log.Info("drill not run", "cluster", c.Name, "reason", err.Error())
	default:
		s.Metrics.observe(rec)
		note := fmt.Sprintf("backup %s restored into %d scratch namespaces in %.0fs (RPO %.0fs), record %s", rec.Backup, len(rec.Namespaces), rec.RTOSeconds, rec.RPOSeconds, key)
		typ, reason := corev1.EventTypeNormal, ReasonPassed
		if rec.Outcome != core.Passed {
			typ, reason = corev1.EventTypeWarning, ReasonFailed
			note = fmt.Sprintf("backup %s: %s; record %s", rec.Backup, rec.Reason, key)
		}
		if err != nil {
			typ, reason = corev1.EventTypeWarning, ReasonFailed
			note += "; record not written: " + err.Error()
		}
		s.event(c, typ, reason, note)
		s.Log.Info("drill", "cluster", c.Name, "backup", rec.Backup, "outcome", rec.Outcome, "reason", rec.Reason, "rtoSeconds", rec.RTOSeconds)
	}
	s.mu.Lock()
	s.running[c.Name] = false
	s.next[c.Name] = next
	s.mu.Unlock()
	select {
	case s.freed <- struct{}{}:
	default: // a look is pending already
	}
}

func (s *Scheduler) runOne(ctx context.Context, fc fleet.Cluster) (*core.Record, string, error) {
	if fc.Err != nil {
		return nil, "", fc.Err
	}
	user, err := s.Users.For(ctx, fc.ClusterID)
	if err != nil {
		return nil, "", err
	}
	return s.Runner.Run(ctx, fc, user)
}

// maxNote bounds an Event's note (the API refuses notes over 1 kB).
const maxNote = 1000

func (s *Scheduler) event(c *kkpv1.Cluster, typ, reason, note string) {
	if s.Recorder == nil {
		return
	}
	s.Recorder.Eventf(c, nil, typ, reason, "RestoreDrill", "%s", core.Clip(note, maxNote))
}
