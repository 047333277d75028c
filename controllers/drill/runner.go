package drill

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// ErrNothingToDrill is returned (wrapped) when a cluster has no Completed
// backup on its managed location: no drill runs and no record is written.
var ErrNothingToDrill = errors.New("no Completed backup to drill")

// Runner runs one drill in one user cluster. It is safe for concurrent use
// on different clusters.
type Runner struct {
	// Checker builds the S3 client of the cluster's location (the CBSL's own
	// credentials, the endpoint policy).
	Checker *s3check.Checker
	// Key signs the records.
	Key ed25519.PrivateKey
	// Options are the defaulted options (NewRunner).
	Options Options
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Run drills the cluster c (its IDs and resolved Location, fleet.ClusterFor)
// through user, a client of its user cluster: it removes what earlier
// drills left, picks a backup, restores it into scratch namespaces, judges,
// cleans up and writes the signed record. It returns the record as written,
// and its key; err is set when no record could be written (or there was
// nothing to drill, ErrNothingToDrill). A drill that fails writes a record
// saying why.
func (r *Runner) Run(ctx context.Context, c fleet.Cluster, user client.Client) (*core.Record, string, error) {
	o := r.Options
	if c.Err != nil {
		return nil, "", fmt.Errorf("cluster %s: %w", c.ClusterID, c.Err)
	}
	dir, err := core.Dir(c.Location.Prefix, c.ProjectID, c.ClusterID)
	if err != nil {
		return nil, "", fmt.Errorf("cluster %s: %w", c.ClusterID, err)
	}
	cl, err := r.Checker.Client(ctx, s3check.TargetFrom(c.Location), s3check.ClientOptions{MaxResponseBytes: core.MaxBackupFileBytes})
	if err != nil {
		return nil, "", fmt.Errorf("cluster %s: storage: %w", c.ClusterID, err)
	}
	defer cl.Close()
	store := core.Store{Client: cl, Bucket: c.Location.Bucket, Dir: dir}

	if _, err := Cleanup(ctx, user, o.VeleroNamespace, 0); err != nil {
		return nil, "", fmt.Errorf("cluster %s: leftovers of an earlier drill: %w", c.ClusterID, err)
	}
	backup, err := pickBackup(ctx, user, o.VeleroNamespace, o.Among)
	if err != nil {
		return nil, "", fmt.Errorf("cluster %s: %w", c.ClusterID, err)
	}
	rec := &core.Record{Version: core.RecordVersion, ProjectID: c.ProjectID, ClusterID: c.ClusterID, Run: core.NewRun(), Started: r.now().UTC(), Backup: backup.Name}
	if t := backup.Status.CompletionTimestamp; t != nil {
		bt := t.UTC()
		rec.BackupCompleted = &bt
		rec.RPOSeconds = rec.Started.Sub(bt).Seconds()
	}
	r.restore(ctx, user, store, c.Location.Prefix, backup.Name, rec)

	// Always clean up, also when ctx ended (a stop signal): bounded.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.CleanupTimeout.Duration)
	gone, err := Cleanup(cctx, user, o.VeleroNamespace, o.CleanupTimeout.Duration)
	cancel()
	rec.CleanedUp = gone && err == nil
	if err != nil {
		rec.Fail("cleanup: " + err.Error())
	} else if !gone {
		rec.Fail(fmt.Sprintf("cleanup: scratch namespaces still terminating after %s", o.CleanupTimeout.Duration))
	}
	if rec.Outcome == "" {
		rec.Outcome = core.Passed
	}
	rec.Finished = r.now().UTC()
	data, err := core.Sign(rec, r.Key)
	if err != nil {
		return rec, "", err
	}
	key := core.Key(dir, rec.Started, rec.Run, rec.Outcome)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := store.Put(wctx, key, data); err != nil {
		return rec, key, fmt.Errorf("cluster %s: %w", c.ClusterID, err)
	}
	return rec, key, nil
}

// restore plans, creates the scratch namespaces and the Restore, waits and
// judges, recording everything in rec.
func (r *Runner) restore(ctx context.Context, user client.Client, store core.Store, prefix, backup string, rec *core.Record) {
	o := r.Options
	rl, err := store.Get(ctx, core.ResourceListKey(prefix, backup), core.MaxBackupFileBytes)
	if err == nil && rl == nil {
		err = fmt.Errorf("the backup's resource list %s is missing in storage", core.ResourceListKey(prefix, backup))
	}
	if err != nil {
		rec.Fail("storage: " + err.Error())
		return
	}
	list, err := core.ParseResourceList(rl)
	if err != nil {
		rec.Fail("storage: " + err.Error())
		return
	}
	pvbData, err := store.Get(ctx, core.PodVolumeBackupsKey(prefix, backup), core.MaxBackupFileBytes)
	if err != nil {
		rec.Fail("storage: " + err.Error())
		return
	}
	pvbs, err := core.ParsePodVolumeBackups(pvbData)
	if err != nil {
		rec.Fail("storage: " + err.Error())
		return
	}
	plan := core.NewPlan(rec.Run, backup, o.VeleroNamespace, list.Namespaces, o.plan())
	rec.Namespaces = plan.Namespaces
	if len(plan.Namespaces) == 0 {
		rec.Fail(fmt.Sprintf("backup %s holds no namespace a drill restores (skipped: %v)", backup, plan.Skipped))
		return
	}
	// The fences first: nothing restored runs without them.
	for _, obj := range plan.ScratchObjects() {
		if err := user.Create(ctx, obj); err != nil {
			rec.Fail(fmt.Sprintf("create %T %s: %v", obj, obj.GetName(), err))
			return
		}
	}
	if err := user.Create(ctx, plan.ModifiersConfigMap()); err != nil {
		rec.Fail("create the resource modifiers: " + err.Error())
		return
	}
	rs := plan.Restore()
	created := r.now()
	if err := user.Create(ctx, rs); err != nil {
		rec.Fail("create the Restore: " + err.Error())
		return
	}
	rec.Restore = rs.Name
	obs := core.Observed{Namespaces: plan.Sources(), PodVolumeBackups: pvbs}
	obs.Expected, obs.Excluded = list.Expected(plan.Sources())
	obs.Restore, obs.TimedOut, err = waitRestore(ctx, user, rs, o.Timeout.Duration, o.PollInterval.Duration)
	rec.RTOSeconds = r.now().Sub(created).Seconds()
	if t := obs.Restore.Status.CompletionTimestamp; t != nil && obs.Restore.Status.StartTimestamp != nil {
		rec.RTOSeconds = t.Sub(created).Seconds()
		if rec.RTOSeconds < 0 {
			rec.RTOSeconds = t.Sub(obs.Restore.Status.StartTimestamp.Time).Seconds()
		}
	}
	if err != nil {
		rec.Fail("interrupted: " + err.Error())
	}
	if p := obs.Restore.Status.Phase; p == velerov1.RestorePhasePartiallyFailed || p == velerov1.RestorePhaseFailed {
		// What broke is in the results Velero stored; the cleanup deletes them.
		if gz, gerr := store.Get(ctx, core.RestoreResultsKey(prefix, rs.Name), core.MaxBackupFileBytes); gerr == nil && gz != nil {
			obs.RestoreErrors, _ = core.ParseRestoreErrors(gz)
		}
	}
	var pvrs velerov1.PodVolumeRestoreList
	if err := user.List(ctx, &pvrs, client.InNamespace(o.VeleroNamespace), client.MatchingLabels{velerov1.RestoreNameLabel: rs.Name}); err != nil {
		rec.Fail("list the PodVolumeRestores: " + err.Error())
	}
	obs.PodVolumeRestores = pvrs.Items
	checks, reason := core.Judge(obs)
	rec.Checks = checks
	if reason != "" {
		rec.Fail(reason)
	}
}

// terminal are the Restore phases a drill stops waiting at.
var terminal = []velerov1.RestorePhase{velerov1.RestorePhaseCompleted, velerov1.RestorePhasePartiallyFailed, velerov1.RestorePhaseFailed, velerov1.RestorePhaseFailedValidation}

// waitRestore polls the Restore until it reaches a terminal phase or
// timeout; err is set when ctx ended first.
func waitRestore(ctx context.Context, user client.Client, rs *velerov1.Restore, timeout, every time.Duration) (*velerov1.Restore, bool, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := rs.DeepCopy()
	for {
		var cur velerov1.Restore
		if err := user.Get(ctx, client.ObjectKeyFromObject(rs), &cur); err == nil {
			last = &cur
			if slices.Contains(terminal, cur.Status.Phase) {
				return last, false, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, false, ctx.Err()
		case <-deadline.C:
			return last, true, nil
		case <-tick.C:
		}
	}
}

// pickBackup returns the newest Completed Backup on the default BSL, or one
// at random among the newest among.
func pickBackup(ctx context.Context, user client.Client, ns string, among int) (*velerov1.Backup, error) {
	var bsls velerov1.BackupStorageLocationList
	if err := user.List(ctx, &bsls, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("list backup storage locations: %w", err)
	}
	def := ""
	for _, b := range bsls.Items {
		if b.Spec.Default {
			def = b.Name
		}
	}
	var list velerov1.BackupList
	if err := user.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var done []*velerov1.Backup
	for i := range list.Items {
		b := &list.Items[i]
		if b.Status.Phase == velerov1.BackupPhaseCompleted && b.Status.CompletionTimestamp != nil && b.DeletionTimestamp == nil && (b.Spec.StorageLocation == def || b.Spec.StorageLocation == "") {
			done = append(done, b)
		}
	}
	if len(done) == 0 {
		return nil, fmt.Errorf("%w on the default storage location %q", ErrNothingToDrill, def)
	}
	slices.SortFunc(done, func(a, b *velerov1.Backup) int {
		return b.Status.CompletionTimestamp.Compare(a.Status.CompletionTimestamp.Time)
	})
	n := min(max(among, 1), len(done))
	return done[rand.IntN(n)], nil
}
