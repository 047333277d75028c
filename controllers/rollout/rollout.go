package rollout

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/release"
)

// Rollout moves the fleet to the process's render configuration in waves
// (package doc). It is the release loop's Generations and a leader-only
// manager Runnable. Create it with New.
type Rollout struct {
	client   client.Client
	store    *store
	loop     *release.Reconciler
	users    release.Clients
	opts     Options
	current  config
	recorder events.EventRecorder
	metrics  *Metrics
	now      func() time.Time

	mu     sync.Mutex
	loaded bool
	st     state

	// waiting is the wave member found not ready at the last poll, judged
	// first at the next (only the step goroutine uses it).
	waiting string
}

// New returns the rollout of the render configuration doc (the file the
// release loop's Settings were read from; source names it) for the release
// loop, and makes itself the loop's Generations. c reads Clusters
// (cached) and writes the state; r reads the state (uncached); users
// reach user clusters for the health gates. o is defaulted and validated
// here (Options.Default, Options.Validate).
func New(c client.Client, r client.Reader, users release.Clients, loop *release.Reconciler, o Options, source string, doc []byte, rec events.EventRecorder, m *Metrics) (*Rollout, error) {
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		return nil, fmt.Errorf("rollout: %w", errs.ToAggregate())
	}
	cur, err := parseConfig(source, string(doc))
	if err != nil {
		return nil, fmt.Errorf("rollout: %w", err)
	}
	if cur.ID != release.ConfigGeneration(loop.Settings) {
		return nil, fmt.Errorf("rollout: %s is not the release loop's render configuration", source)
	}
	ro := &Rollout{
		client: c, store: &store{client: c, reader: r, namespace: loop.Options.StateNamespace},
		loop: loop, users: users, opts: o, current: cur, recorder: rec, metrics: m, now: time.Now,
	}
	loop.Generations = ro
	return ro, nil
}

// NeedLeaderElection makes the rollout run on the leader only, with the
// release loop.
func (ro *Rollout) NeedLeaderElection() bool { return true }

// For implements release.Generations: the configuration a cluster renders.
// Clusters of the current wave and those that passed render the target; a
// cluster not reached keeps the configuration it holds (the good one, or
// an abandoned target until its wave); a cluster enabled during a rollout
// gets the target once the canaries passed, else the good one.
func (ro *Rollout) For(ctx context.Context, cluster, recorded string) (release.Generation, error) {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if err := ro.ensureLocked(ctx); err != nil {
		return release.Generation{}, err
	}
	st := &ro.st
	pick := func(c config) (release.Generation, error) {
		return release.Generation{ID: c.ID, Settings: c.settings}, nil
	}
	switch {
	case st.Phase == PhaseComplete, st.Passed[cluster], slices.Contains(st.Members, cluster), recorded == st.Target.ID:
		return pick(st.Target)
	case recorded == st.Good.ID:
		return pick(st.Good)
	case st.Previous.ID != "" && recorded == st.Previous.ID:
		return pick(st.Previous)
	case st.CanaryPassed:
		return pick(st.Target)
	}
	return pick(st.Good)
}

// ensureLocked loads the state once, starting a rollout when the process's
// configuration is not the stored target.
func (ro *Rollout) ensureLocked(ctx context.Context) error {
	if ro.loaded {
		return nil
	}
	old, found, err := ro.store.load(ctx)
	if err != nil {
		return err
	}
	next, changed := adopt(old, found, ro.current)
	if changed {
		logf.FromContext(ctx).Info("rollout of a new render configuration", "target", next.Target.ID, "good", next.Good.ID, "previous", next.Previous.ID, "phase", next.Phase)
	}
	if !found || changed {
		if err := ro.store.save(ctx, next); err != nil {
			return err
		}
	}
	ro.st, ro.loaded = next, true
	return nil
}

// adopt returns the state a process with render configuration cur starts
// from, given the stored state old (found false: none), and whether a new
// rollout starts:
//
//   - nothing stored: cur is good and the target, complete (a first
//     install has nothing to roll out from);
//   - cur is the stored target: resume where it stood (any phase);
//   - another configuration: a new rollout to cur from wave 0. The good
//     configuration is the stored target if that rollout completed, else
//     the stored good one; an unfinished target that is neither stays as
//     previous, so the clusters holding it keep it until their wave.
//     Reverting to the good configuration (a rollback) is such a rollout
//     too: the clusters that moved go back wave by wave, the same order.
func adopt(old state, found bool, cur config) (state, bool) {
	switch {
	case !found:
		return state{Phase: PhaseComplete, Good: cur, Target: cur, Passed: map[string]bool{}}, false
	case old.Target.ID == cur.ID:
		return old, false
	}
	next := state{Phase: PhaseProgressing, Good: old.Good, Target: cur, Passed: map[string]bool{}}
	if old.Phase == PhaseComplete {
		next.Good = old.Target
	} else if old.Target.ID != old.Good.ID {
		next.Previous = old.Target
	}
	return next, true
}

// Start runs the waves until ctx ends (manager.Runnable).
func (ro *Rollout) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("rollout")
	t := time.NewTicker(ro.opts.Poll.Duration)
	defer t.Stop()
	for {
		if err := ro.step(logf.IntoContext(ctx, log)); err != nil && ctx.Err() == nil {
			log.Info("rollout step failed; retrying", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// step judges the current wave and starts the next one, as often as waves
// pass at once.
func (ro *Rollout) step(ctx context.Context) error {
	for {
		ro.mu.Lock()
		err := ro.ensureLocked(ctx)
		st := ro.st.clone()
		ro.mu.Unlock()
		if err != nil {
			return err
		}
		ro.export(st)
		if st.Phase != PhaseProgressing {
			return nil
		}
		next, progressed, err := ro.advance(ctx, st)
		if err != nil {
			return err
		}
		if !progressed {
			return nil
		}
		if err := ro.commit(ctx, next); err != nil {
			return err
		}
		ro.export(next)
		if len(next.Members) > 0 {
			for _, id := range next.Members {
				ro.loop.Enqueue(id)
			}
			return nil // judged at the next poll
		}
		if next.Phase != PhaseProgressing {
			return nil
		}
	}
}

// commit stores next and makes it the state.
func (ro *Rollout) commit(ctx context.Context, next state) error {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if err := ro.store.save(ctx, next); err != nil {
		// A conflict (another writer): read again at the next step.
		ro.loaded = false
		return err
	}
	ro.st = next
	return nil
}

// advance computes the rollout's next state from st: the next wave, the
// current wave passed, halted, or (progressed false) nothing new.
func (ro *Rollout) advance(ctx context.Context, st state) (state, bool, error) {
	ordered, enabled, err := ro.members(ctx)
	if err != nil {
		return st, false, err
	}
	if len(st.Members) == 0 {
		ids := nextWave(ordered, st.Passed, st.Wave, ro.opts, ro.opts.selector)
		if len(ids) == 0 {
			st.Phase, st.Good, st.Previous, st.Failures = PhaseComplete, st.Target, config{}, nil
			logf.FromContext(ctx).Info("rollout complete", "generation", st.Target.ID, "waves", st.Wave)
			ro.loop.ForgetGenerations(st.Target.ID)
			return st, true, nil
		}
		st.Members, st.WaveStarted = ids, ro.now()
		logf.FromContext(ctx).Info("rollout wave started", "wave", st.Wave, "clusters", len(ids), "generation", st.Target.ID)
		return st, true, nil
	}
	// Before the deadline one unhealthy member is enough to wait: the
	// judging stops there (a wave of 100 costs the gate reads of the
	// members up to the first one not ready, not of all 100, every poll).
	// At the deadline every member is judged, so the halt names them all.
	all := !ro.now().Before(st.WaveStarted.Add(ro.opts.Deadline.Duration))
	var failures []Failure
	for _, id := range ro.judgeOrder(st.Members, st.Target.ID) {
		if !enabled[id] {
			continue // deleted, disabled or excluded during its wave: nothing to judge
		}
		if v := ro.judge(ctx, id, st.Target.ID); !v.healthy {
			failures = append(failures, Failure{Cluster: id, Reason: v.reason, Message: v.message})
			if !all {
				ro.waiting = id
				break
			}
		}
	}
	if len(failures) == 0 {
		for _, id := range st.Members {
			st.Passed[id] = true
		}
		if st.Wave == 0 {
			st.CanaryPassed = true
		}
		logf.FromContext(ctx).Info("rollout wave passed its health gates", "wave", st.Wave, "clusters", len(st.Members))
		st.Wave++
		st.Members, st.WaveStarted = nil, time.Time{}
		return st, true, nil
	}
	if !all {
		return st, false, nil
	}
	st.Phase, st.Failures = PhaseHalted, failures
	ro.halted(ctx, st)
	return st, true, nil
}

// judgeOrder returns the wave's members in the order they are judged:
// those the release loop has not applied the target to yet first (judging
// them reads nothing), then the member that was not ready at the last poll,
// then the rest.
func (ro *Rollout) judgeOrder(members []string, target string) []string {
	out := make([]string, 0, len(members))
	var rest []string
	for _, id := range members {
		s, ok := ro.loop.State(id)
		if done := ok && (s.Phase == release.PhaseSkipped || s.Generation == target && (s.Phase == release.PhaseApplied || s.Phase == release.PhaseDisabled)); !done {
			out = append(out, id)
		} else {
			rest = append(rest, id)
		}
	}
	if i := slices.Index(rest, ro.waiting); i > 0 {
		rest[0], rest[i] = rest[i], rest[0]
	}
	return append(out, rest...)
}

// members lists the enabled Clusters the release loop manages, in rollout
// order, and their IDs as a set.
func (ro *Rollout) members(ctx context.Context) ([]Member, map[string]bool, error) {
	var list kkpv1.ClusterList
	if err := ro.client.List(ctx, &list); err != nil {
		return nil, nil, fmt.Errorf("list clusters: %w", err)
	}
	ms := make([]Member, 0, len(list.Items))
	set := make(map[string]bool, len(list.Items))
	for i := range list.Items {
		c := &list.Items[i]
		if c.DeletionTimestamp != nil || c.StorageLocationName() == "" || ro.loop.Options.Excludes(c.Labels) {
			continue
		}
		ms = append(ms, Member{ID: c.Name, Labels: c.Labels})
		set[c.Name] = true
	}
	return Order(ms), set, nil
}

// judge reads one wave member's health: first whether the release loop
// applied the target, then the user cluster (gate).
func (ro *Rollout) judge(ctx context.Context, id, target string) verdict {
	s, ok := ro.loop.State(id)
	switch {
	case ok && s.Phase == release.PhaseFailed:
		return unhealthy(ReasonApplyRefused, "release not applied: %s", clip(s.Reason, 400))
	case ok && s.Phase == release.PhaseSkipped:
		return verdict{healthy: true} // left alone by the loop (GitOps): nothing rolled out
	case ok && s.Phase == release.PhaseDisabled && s.Generation == target:
		return verdict{healthy: true} // backup disabled: no Velero to judge
	case !ok || s.Generation != target || s.Phase != release.PhaseApplied:
		return unhealthy(ReasonNotApplied, "the release of configuration %s is not applied yet", target)
	}
	uc, err := ro.users.For(ctx, id)
	if err != nil {
		return unhealthy(ReasonUnreachable, "user cluster: %s", clip(err.Error(), 300))
	}
	return gate(ctx, uc, ro.loop.Options.VeleroNamespace)
}

// State returns the rollout's phase, target and good generation, wave and
// failures (for tests and status).
func (ro *Rollout) State() (phase Phase, target, good string, wave int, failures []Failure) {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	return ro.st.Phase, ro.st.Target.ID, ro.st.Good.ID, ro.st.Wave, slices.Clone(ro.st.Failures)
}

// clone copies the state's slices and map.
func (s state) clone() state {
	s.Members = slices.Clone(s.Members)
	s.Failures = slices.Clone(s.Failures)
	p := make(map[string]bool, len(s.Passed))
	for k, v := range s.Passed {
		p[k] = v
	}
	s.Passed = p
	return s
}
