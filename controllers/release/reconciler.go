package release

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// Clients reaches user clusters by cluster ID (controllers/userclient
// implements it).
type Clients interface {
	// For returns a client of the user cluster clusterID.
	For(ctx context.Context, clusterID string) (client.Client, error)
	// Forget drops what is cached for a cluster (it was deleted).
	Forget(clusterID string)
}

// Reconciler renders and applies one Cluster's release (package doc).
// Create it with New.
type Reconciler struct {
	// Client reads Clusters and CBSLs (cached) and writes the state
	// ConfigMaps on the seed.
	Client client.Client
	// Reader reads the state ConfigMaps (uncached).
	Reader client.Reader
	// Users reaches user clusters.
	Users Clients
	// Options are the defaulted options (New).
	Options Options
	// Settings are the render configuration.
	Settings Settings
	// Recorder records Events on Clusters; optional.
	Recorder events.EventRecorder
	// Metrics are optional.
	Metrics *Metrics
	// Generations picks each cluster's render configuration (rollout
	// waves, generation.go); nil: every cluster renders Settings. Set it
	// before the manager starts.
	Generations Generations

	renderer *renderer.Renderer // the renderer of Settings
	state    *stateStore
	now      func() time.Time
	// trigger enqueues clusters on request (Enqueue).
	trigger chan event.GenericEvent

	mu     sync.Mutex
	states map[string]State
	// renderers are the renderers of other configuration generations.
	renderers map[string]*renderer.Renderer
	// digests are each cluster's last render digest (rendercache.go).
	digests map[string]renderedDigest
}

// New returns a Reconciler reading the seed through c (cached) and r
// (uncached), reaching user clusters through users. o is defaulted and
// validated here (Options.Default, Options.Validate); s comes from
// LoadSettings. It loads the chart once.
func New(c client.Client, r client.Reader, users Clients, o Options, s Settings, rec events.EventRecorder, m *Metrics) (*Reconciler, error) {
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		return nil, fmt.Errorf("release loop: %w", errs.ToAggregate())
	}
	rn, err := newRenderer(o, s, "")
	if err != nil {
		return nil, err
	}
	return &Reconciler{
		Client: c, Reader: r, Users: users, Options: o, Settings: s, Recorder: rec, Metrics: m,
		renderer:  rn,
		state:     &stateStore{client: c, reader: r, namespace: o.StateNamespace},
		now:       time.Now,
		states:    map[string]State{},
		trigger:   make(chan event.GenericEvent, triggerBuffer),
		renderers: map[string]*renderer.Renderer{ConfigGeneration(s): rn},
	}, nil
}

// Reconcile brings one Cluster's user cluster to its current release. A
// Cluster that is gone or being deleted is forgotten; nothing is deleted
// anywhere (not in the user cluster, not the seed's state).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var c kkpv1.Cluster
	if err := r.Client.Get(ctx, req.NamespacedName, &c); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("read cluster %s: %w", req.Name, err)
	}
	if c.DeletionTimestamp != nil {
		r.forget(c.Name)
		return ctrl.Result{}, nil
	}
	if r.Options.excluded(c.Labels) {
		if c.StorageLocationName() == "" {
			r.drop(c.Name)
			return ctrl.Result{}, nil
		}
		r.Metrics.result(ResultSkipped)
		r.report(&c, State{Phase: PhaseSkipped, Reason: fmt.Sprintf(skipExcluded, r.Options.ExcludeSelector), CBSL: c.StorageLocationName()})
		stored, err := r.state.load(ctx, c.Name)
		if err == nil {
			err = r.record(ctx, c.Name, stored.cm)
		}
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("release of cluster %s: %w", c.Name, err)
		}
		return r.resyncAfter(), nil
	}
	res, err := r.sync(ctx, &c)
	if err != nil {
		r.Metrics.result(ResultFailed)
		r.report(&c, State{Phase: PhaseFailed, Reason: err.Error(), CBSL: res.cbsl, VeleroVersion: res.version, Digest: res.digest})
		if rerr := r.record(ctx, c.Name, res.cm); rerr != nil {
			logf.FromContext(ctx).Info("release state not recorded on the seed", "reason", rerr.Error())
		}
		if res.config {
			// Only a change on the seed fixes it, and the watches see
			// that change: no backoff, the period bounds a lost event.
			logf.FromContext(ctx).Info("release not rendered", "reason", err.Error())
			return r.resyncAfter(), nil
		}
		return ctrl.Result{}, fmt.Errorf("release of cluster %s: %w", c.Name, err)
	}
	if res.none {
		return ctrl.Result{}, nil // the Cluster watch sees backup enabled
	}
	if err := r.record(ctx, c.Name, res.cm); err != nil {
		return ctrl.Result{}, fmt.Errorf("release of cluster %s: %w", c.Name, err)
	}
	return r.resyncAfter(), nil
}

// outcome is what sync found or did, for the failed state.
type outcome struct {
	cbsl, version, digest string
	// config marks a failure only a change on the seed fixes (a missing or
	// invalid CBSL, a render the renderer refuses).
	config bool
	// none says the cluster has no release: never enabled, not enabled now.
	none bool
	// cm is the cluster's state ConfigMap as last read or written (nil:
	// none, or not read).
	cm *corev1.ConfigMap
}

// record writes the cluster's current state (phase and Velero version) on
// its state ConfigMap cm when it differs from what cm holds; pending is
// not recorded (the reconcile that ends it records the outcome), nor is
// anything without a ConfigMap.
func (r *Reconciler) record(ctx context.Context, cluster string, cm *corev1.ConfigMap) error {
	if cm == nil {
		return nil
	}
	s, ok := r.State(cluster)
	if !ok || s.Phase == PhasePending {
		return nil
	}
	return r.state.annotate(ctx, cm, s.Phase, s.VeleroVersion, s.Generation)
}

// sync does the work of one reconcile and reports every state but failed.
func (r *Reconciler) sync(ctx context.Context, c *kkpv1.Cluster) (outcome, error) {
	var out outcome
	stored, err := r.state.load(ctx, c.Name)
	if err != nil {
		return out, err
	}
	out.cm = stored.cm
	var cur *kkpv1.ClusterBackupStorageLocation
	if name := c.StorageLocationName(); name != "" {
		out.cbsl = name
		cur = &kkpv1.ClusterBackupStorageLocation{}
		key := client.ObjectKey{Namespace: r.Options.StateNamespace, Name: name}
		if err := r.Client.Get(ctx, key, cur); err != nil {
			if apierrors.IsNotFound(err) {
				out.config = true
				return out, fmt.Errorf("clusterbackupstoragelocation %s not found; nothing applied", key)
			}
			return out, fmt.Errorf("read clusterbackupstoragelocation %s: %w", key, err)
		}
	}
	switched := cur != nil && stored.memory.Location != nil && !sameLocation(stored.memory.Location, cur)
	takeover := false
	if cur != nil && stored.memory.Location == nil {
		// Enabled first: a user cluster of KKP's own cluster backup is left
		// alone, or taken over (takeover.go); nothing is stored before.
		if takeover, err = r.firstEnable(ctx, c); err != nil {
			out.config = isKKPOwned(err)
			return out, err
		}
	}
	p, ok := planFor(c, cur, stored.memory, takeover)
	if !ok {
		r.drop(c.Name)
		out.none = true
		return out, nil
	}
	gen, rn, err := r.generation(ctx, c.Name, kubeVersionOf(c), stored.cm)
	if err != nil {
		return out, err
	}
	out.cbsl, out.version = p.cbslName(), gen.Settings.VeleroVersion()
	r.pending(c, out)
	// The digest of an unchanged plan is remembered; the render is needed
	// only to apply (rendercache.go).
	key := renderKey(gen.ID, p)
	var res renderer.Result
	rendered := false
	render := func() error {
		res, err = rn.RenderLifecycle(ctx, p.in, p.lc)
		if err != nil {
			out.config = true
			return fmt.Errorf("render: %w; nothing applied", err)
		}
		if out.digest, err = Digest(res); err != nil {
			return err
		}
		rendered = true
		r.rememberDigest(c.Name, key, out.digest)
		return nil
	}
	var cached bool
	if out.digest, cached = r.cachedDigest(c.Name, key); !cached {
		if err := render(); err != nil {
			return out, err
		}
	}
	// Write-ahead: the render depends on the state, so the state is stored
	// before anything of it reaches the user cluster.
	if out.cm, err = r.state.save(ctx, c.Name, stored, p.mem); err != nil {
		out.cm = stored.cm
		return out, err
	}
	phase := PhaseApplied
	if p.mem.Disabled {
		phase = PhaseDisabled
	}
	done := State{Phase: phase, CBSL: out.cbsl, VeleroVersion: out.version, Digest: out.digest, Generation: gen.ID}
	uc, err := r.Users.For(ctx, c.Name)
	if err != nil {
		return out, fmt.Errorf("user cluster: %w", err)
	}
	ns := r.Options.VeleroNamespace
	inv, err := readInventory(ctx, uc, ns)
	if err != nil {
		return out, fmt.Errorf("user cluster: %w", err)
	}
	if inv.found && inv.digest == out.digest && inv.fieldMgr == r.Options.FieldManager {
		r.Metrics.result(ResultUnchanged)
		done.LastSuccess = r.now()
		r.report(c, done)
		return out, nil
	}
	owner, err := detectGitOps(ctx, uc, ns)
	if err != nil {
		return out, fmt.Errorf("user cluster: %w", err)
	}
	if owner != nil {
		r.Metrics.result(ResultSkipped)
		r.report(c, State{Phase: PhaseSkipped, Reason: fmt.Sprintf(skipGitOps, owner.Tool, owner.Evidence), CBSL: out.cbsl, VeleroVersion: out.version, Digest: out.digest})
		return out, nil
	}
	if !rendered {
		if err := render(); err != nil {
			return out, err
		}
	}
	pruned, err := r.apply(ctx, uc, res, inv, out.digest, out.version, r.Options.takesOver(c))
	if err != nil {
		return out, fmt.Errorf("user cluster: %w", err)
	}
	if switched {
		// Best effort: without it Velero re-establishes the repositories
		// on its own 5-minute resync.
		if _, err := resetRepositories(ctx, uc, ns, p.mem.BSLName); err != nil {
			logf.FromContext(ctx).Info("backup repositories of the managed BSL not reset after a storage switch; Velero re-establishes them within 5 minutes", "error", err.Error())
		}
	}
	r.Metrics.result(ResultApplied)
	done.LastSuccess = r.now()
	r.reportApplied(c, done, p, pruned)
	return out, nil
}

// apply applies the release, prunes what it no longer renders and writes
// the inventory last.
func (r *Reconciler) apply(ctx context.Context, uc client.Client, res renderer.Result, inv inventory, digest, version string, takeover bool) (pruneResult, error) {
	objs, err := res.Objects()
	if err != nil {
		return pruneResult{}, err
	}
	a := applier{c: uc, fieldManager: r.Options.FieldManager, crdTimeout: r.Options.CRDTimeout.Duration, takeover: takeover}
	refs, err := a.apply(ctx, objs)
	if err != nil {
		return pruneResult{}, err
	}
	pruned, err := a.prune(ctx, stale(inv.refs, refs))
	if err != nil {
		return pruned, err
	}
	parent := inventoryObject(r.Options.VeleroNamespace, digest, version, r.Options.FieldManager, refs, r.now())
	if _, err := a.applyOne(ctx, parent); err != nil {
		return pruned, err
	}
	return pruned, nil
}

// pending marks a cluster seen for the first time as pending.
func (r *Reconciler) pending(c *kkpv1.Cluster, out outcome) {
	r.mu.Lock()
	_, known := r.states[c.Name]
	r.mu.Unlock()
	if !known {
		r.report(c, State{Phase: PhasePending, CBSL: out.cbsl, VeleroVersion: out.version})
	}
}

// report stores a cluster's new state, exports it and records an Event if
// it changed (changed).
func (r *Reconciler) report(c *kkpv1.Cluster, next State) {
	prev := r.setState(c, next)
	if !changed(prev, next) {
		return
	}
	switch typ, reason := eventForState(next); next.Phase {
	case PhaseApplied, PhaseDisabled:
		r.event(c, typ, reason, "user cluster holds the current release again (Velero %s, clusterbackupstoragelocation %s)", next.VeleroVersion, next.CBSL)
	case PhaseSkipped:
		r.event(c, typ, reason, "release not applied: %s", next.Reason)
	case PhaseFailed:
		r.event(c, typ, reason, "%s", next.Reason)
	}
}

// reportApplied stores the state after an apply and records what was done.
func (r *Reconciler) reportApplied(c *kkpv1.Cluster, next State, p plan, pruned pruneResult) {
	r.setState(c, next)
	typ, reason := eventForState(next)
	prev := ""
	if len(p.mem.Previous) > 0 {
		prev = fmt.Sprintf(", %d previous location(s) kept read-only", len(p.mem.Previous))
	}
	if next.Phase == PhaseDisabled {
		r.event(c, typ, reason, "applied the disabled release of clusterbackupstoragelocation %s: Velero and node-agent removed, Schedules paused, CRDs, Backups and BSLs (read-only) kept%s", next.CBSL, prev)
	} else {
		r.event(c, typ, reason, "applied Velero %s with clusterbackupstoragelocation %s (%s)%s", next.VeleroVersion, next.CBSL, next.Digest, prev)
	}
	if len(pruned.deleted) > 0 {
		r.event(c, typ, ReasonPruned, "deleted %d object(s) no longer rendered: %s", len(pruned.deleted), refList(pruned.deleted))
	}
}

// setState stores and exports a cluster's state and returns the previous
// one. LastSuccess and Generation carry over when next has none.
func (r *Reconciler) setState(c *kkpv1.Cluster, next State) State {
	next.Cluster, next.Project = c.Name, c.ProjectID()
	r.mu.Lock()
	prev := r.states[c.Name]
	if next.LastSuccess.IsZero() {
		next.LastSuccess = prev.LastSuccess
	}
	if next.Generation == "" {
		next.Generation = prev.Generation
	}
	r.states[c.Name] = next
	r.mu.Unlock()
	r.Metrics.set(prev, next)
	return prev
}

// drop forgets a cluster's state and metric series (it has no release).
func (r *Reconciler) drop(cluster string) {
	r.mu.Lock()
	delete(r.states, cluster)
	delete(r.digests, cluster)
	r.mu.Unlock()
	r.Metrics.drop(cluster)
}

// forget drops everything the process holds for a deleted cluster.
func (r *Reconciler) forget(cluster string) {
	r.drop(cluster)
	r.Users.Forget(cluster)
}
