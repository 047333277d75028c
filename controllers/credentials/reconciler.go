package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/internal/resync"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// ControllerName names the credentials loop's controller.
const ControllerName = "cluster-credentials"

// Reasons of the Events recorded on Clusters. Notes name objects, never a
// secret value.
const (
	// ReasonCredentialsUpdated: the credentials Secret was created or
	// updated in the user cluster.
	ReasonCredentialsUpdated = "BackupCredentialsUpdated"
	// ReasonPasswordGenerated: a repository password was generated and
	// stored on the seed.
	ReasonPasswordGenerated = "RepositoryPasswordGenerated"
	// ReasonPasswordAdopted: the seed held no password and took the user
	// cluster's existing one, which may already encrypt repositories.
	ReasonPasswordAdopted = "RepositoryPasswordAdopted"
	// ReasonPasswordDelivered: the repository password Secret was created
	// or replaced (Velero's unused start-up default) in the user cluster.
	ReasonPasswordDelivered = "RepositoryPasswordDelivered"
	// ReasonPasswordConflict: the user cluster's repository password differs
	// from the seed's copy and was left alone.
	ReasonPasswordConflict = "RepositoryPasswordConflict"
	// ReasonPasswordKeptForBucket: the user cluster's password is Velero's
	// start-up default and was not replaced, because a Kopia repository in
	// the cluster's prefix does not open with the seed's password.
	ReasonPasswordKeptForBucket = "RepositoryPasswordKeptForBucket"
	// ReasonCredentialsShared: other clusters use the same storage key,
	// so a cluster-admin of one can read the others' backups.
	ReasonCredentialsShared = "BackupCredentialsShared"
	// ReasonCredentialsNotConfined: a cluster's dedicated key reaches
	// beyond its prefix (the bucket root or a sibling lists).
	ReasonCredentialsNotConfined = "BackupCredentialsNotConfined"
	// ReasonCredentialsNotOwned: the user cluster's credentials Secret was
	// not written by the loop and was left unchanged.
	ReasonCredentialsNotOwned = "BackupCredentialsNotOwned"
	// ReasonFailed: the credentials could not be delivered.
	ReasonFailed = "BackupCredentialsFailed"
)

// noKubeconfigRetry is how soon a cluster without an admin kubeconfig is
// tried again (kubeconfig Secrets are read with get, not watched).
const noKubeconfigRetry = 30 * time.Second

// Reconciler delivers one Cluster's credentials and repository password
// into its user cluster (package doc). Create it with New.
type Reconciler struct {
	// Client reads Clusters and CBSLs (cached) and CBSL Secrets (cached in
	// the CBSL namespace).
	Client client.Client
	// Reader reads uncached: credential Secrets the cache has not seen yet.
	Reader client.Reader
	// Namespace is the CBSL namespace.
	Namespace string
	// Options are the defaulted options.
	Options Options
	// Users reaches user clusters (controllers/userclient).
	Users UserClients
	// Passwords keeps the repository passwords on the seed.
	Passwords *PasswordStore
	// Repos looks into a cluster's prefix for Kopia repositories before
	// Velero's start-up default password is replaced.
	Repos *BucketRepos
	// Secrets reads the CBSL's CA Secret for that check.
	Secrets storage.SecretGetter
	// Recorder records Events on Clusters; optional.
	Recorder events.EventRecorder
	// Metrics are optional.
	Metrics *Metrics

	mu   sync.Mutex
	last map[string]string // cluster (or cluster/aspect) -> last reported state, to record changes only
	uses map[string]keyUse // cluster -> the key it was last given (noteKey)
}

// UserClients reaches user clusters by cluster ID; controllers/userclient
// implements it, bounded against hostile answers.
type UserClients interface {
	For(ctx context.Context, clusterID string) (client.Client, error)
	Forget(clusterID string)
}

// New returns a Reconciler for the CBSL namespace ns, reading through c
// (cached) and r (uncached), reaching user clusters through users and the
// clusters' storage through checker. o is defaulted here (Options.Default);
// validate it first (Options.Validate, as controllers.Options.Complete does).
func New(c client.Client, r client.Reader, ns string, o Options, users UserClients, checker *s3check.Checker, rec events.EventRecorder, m *Metrics) *Reconciler {
	o.Default()
	return &Reconciler{
		Client: c, Reader: r, Namespace: ns, Options: o, Recorder: rec, Metrics: m, Users: users,
		Passwords: &PasswordStore{Client: c, Reader: r, Namespace: ns, Prefix: o.PasswordSecretPrefix},
		Repos:     &BucketRepos{Checker: checker},
		Secrets:   storage.FirstFound(storage.ReaderSecrets(c), storage.ReaderSecrets(r)),
	}
}

// Reconcile delivers the credentials of one Cluster. A Cluster without a
// backup location, being deleted or gone is left alone: nothing is removed
// from its user cluster, and the seed's password copy stays.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var c kkpv1.Cluster
	if err := r.Client.Get(ctx, req.NamespacedName, &c); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if c.DeletionTimestamp != nil || c.StorageLocationName() == "" {
		r.forget(c.Name)
		return ctrl.Result{}, nil
	}
	res, err := r.sync(ctx, &c)
	if err != nil {
		r.Metrics.sync("failed")
		r.Metrics.set(c.Name, c.ProjectID(), false)
		r.report(&c, "failed:"+err.Error(), corev1.EventTypeWarning, ReasonFailed, "%s", err.Error())
		if errors.Is(err, userclient.ErrNoKubeconfig) || errors.Is(err, userclient.ErrRefused) || errors.Is(err, errConfig) {
			logf.FromContext(ctx).Info("credentials not delivered", "reason", err.Error())
			return ctrl.Result{RequeueAfter: min(noKubeconfigRetry, r.Options.ResyncPeriod.Duration)}, nil
		}
		return ctrl.Result{}, fmt.Errorf("deliver credentials of cluster %s: %w", c.Name, err)
	}
	r.Metrics.set(c.Name, c.ProjectID(), res.current())
	r.Metrics.setDefault(c.Name, c.ProjectID(), res.onDefault)
	r.Metrics.sync(res.summary())
	logf.FromContext(ctx).V(1).Info("credentials reconciled", "credentials", res.credentials, "repositoryPassword", res.password, "seedPassword", res.seed)
	r.events(&c, res)
	return ctrl.Result{RequeueAfter: resync.Jitter(r.Options.ResyncPeriod.Duration)}, nil
}

// errConfig marks problems only a change on the seed fixes (missing or
// invalid CBSL or credential Secret): retried on the period and on watch
// events, without backoff noise.
var errConfig = errors.New("configuration")

// configError wraps a configuration problem.
func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errConfig, fmt.Sprintf(format, args...))
}

// result is what one reconcile did.
type result struct {
	cbsl        string
	credentials Outcome
	password    Outcome
	// seed is "" (the seed held the password), "generated" or "adopted".
	seed string
	// bucketRepo names a Kopia repository in the cluster's prefix that the
	// password meant to replace Velero's default would not open ("": none).
	bucketRepo string
	// onDefault: the user cluster's Velero keeps Velero's published
	// default password.
	onDefault bool
	// source is the Secret the key came from; dedicated: the cluster's own
	// (keyFor).
	source    string
	dedicated bool
	// shared lists the clusters sharing the key (nil: none known).
	shared *renderer.SharedCredential
	// confined: the dedicated key's isolation probe (nil: not run).
	confined *bool
}

func (r result) current() bool { return r.password != Kept && r.credentials != NotOwned }

func (r result) summary() string {
	if r.credentials == Unchanged && r.password == Unchanged && r.seed == "" {
		return "unchanged"
	}
	return "updated"
}

// sync does the work of one reconcile.
func (r *Reconciler) sync(ctx context.Context, c *kkpv1.Cluster) (result, error) {
	res := result{cbsl: r.Namespace + "/" + c.StorageLocationName()}
	var cbsl kkpv1.ClusterBackupStorageLocation
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: c.StorageLocationName()}, &cbsl); err != nil {
		if apierrors.IsNotFound(err) {
			return res, configError("clusterbackupstoragelocation %s not found", res.cbsl)
		}
		return res, fmt.Errorf("read clusterbackupstoragelocation %s: %w", res.cbsl, err)
	}
	if _, err := storage.TargetFor(c, &cbsl); err != nil {
		return res, configError("%v", err)
	}
	k, err := r.keyFor(ctx, c, &cbsl)
	if err != nil {
		return res, err
	}
	st := k.st
	res.source, res.dedicated = k.source, k.dedicated
	res.shared = r.noteKey(c, k)
	if k.dedicated {
		res.confined = r.confined(ctx, c, k.cbsl, st)
	}
	uc, err := r.Users.For(ctx, c.Name)
	if err != nil {
		return res, err
	}
	// One LIST finds both Secrets in the steady state (a GET for each it
	// does not return); nothing is written when nothing changed.
	ns := r.Options.VeleroNamespace
	known, err := listManaged(ctx, uc, ns)
	if err != nil {
		return res, fmt.Errorf("user cluster %s: %w", c.Name, err)
	}
	file := st.INI(cbsl.Spec.Config[storage.ConfigProfile])
	if res.credentials, err = writeCredentials(ctx, uc, known, ns, r.Options.CredentialsSecret, r.Options.CredentialsKey, res.cbsl, file); err != nil {
		return res, fmt.Errorf("user cluster %s: %w", c.Name, err)
	}
	repo, err := readRepo(ctx, uc, known, ns)
	if err != nil {
		return res, fmt.Errorf("user cluster %s: %w", c.Name, err)
	}
	pw, err := r.Passwords.Get(ctx, c)
	if err != nil {
		return res, err
	}
	if pw == nil {
		// Adopt what may already encrypt repositories; otherwise generate.
		cand := repo.password
		res.seed = "adopted"
		if repo.replaceable() || len(cand) == 0 {
			gen, err := NewPassword()
			if err != nil {
				return res, err
			}
			if err := r.checkBucket(ctx, c, k.cbsl, st, &repo, gen, &res); err != nil {
				return res, err
			}
			if repo.replaceable() || len(cand) == 0 {
				res.seed, cand = "generated", gen
			}
		}
		if pw, err = r.Passwords.Store(ctx, c, cand); err != nil {
			return res, err
		}
	}
	if err := r.checkBucket(ctx, c, k.cbsl, st, &repo, pw, &res); err != nil {
		return res, err
	}
	if res.password, err = writeRepoPassword(ctx, uc, ns, repo, pw); err != nil {
		return res, fmt.Errorf("user cluster %s: %w", c.Name, err)
	}
	res.onDefault = bytes.Equal(pw, []byte(veleroDefaultPw)) || (res.password == Kept && repo.veleroDefault())
	return res, nil
}

// credentialSecret reads the CBSL's credential Secret from the cache, then
// from the API when the cache has not seen it yet. nil: it does not exist.
func (r *Reconciler) credentialSecret(ctx context.Context, cbsl *kkpv1.ClusterBackupStorageLocation) (*corev1.Secret, error) {
	if cbsl.Spec.Credential == nil || cbsl.Spec.Credential.Name == "" {
		return nil, nil
	}
	return r.secretAt(ctx, client.ObjectKey{Namespace: cbsl.Namespace, Name: cbsl.Spec.Credential.Name})
}

// events records what changed, and a state change once.
func (r *Reconciler) events(c *kkpv1.Cluster, res result) {
	ns, seedName := r.Options.VeleroNamespace, r.Namespace+"/"+r.Passwords.Name(c.Name)
	switch res.seed {
	case "generated":
		r.event(c, corev1.EventTypeNormal, ReasonPasswordGenerated, "generated the repository password and stored it in seed secret %s", seedName)
	case "adopted":
		if res.bucketRepo != "" {
			r.event(c, corev1.EventTypeWarning, ReasonPasswordAdopted, "the seed held no repository password; stored Velero's default of secret %s/%s in seed secret %s instead of a new one: kopia repository %s in the bucket may be encrypted with it (docs/credentials.md)", ns, RepoSecret, seedName, res.bucketRepo)
			break
		}
		r.event(c, corev1.EventTypeWarning, ReasonPasswordAdopted, "the seed held no repository password; stored the one of secret %s/%s (it may already encrypt repositories) in seed secret %s", ns, RepoSecret, seedName)
	}
	r.keyEvents(c, res)
	if res.credentials == Created || res.credentials == Updated {
		r.event(c, corev1.EventTypeNormal, ReasonCredentialsUpdated, "%s secret %s/%s from secret %s (clusterbackupstoragelocation %s)", res.credentials, ns, r.Options.CredentialsSecret, res.source, res.cbsl)
	}
	if res.password == Created || res.password == Updated {
		r.event(c, corev1.EventTypeNormal, ReasonPasswordDelivered, "%s secret %s/%s from seed secret %s", res.password, ns, RepoSecret, seedName)
	}
	if res.credentials == NotOwned {
		r.report(c, "notowned", corev1.EventTypeWarning, ReasonCredentialsNotOwned,
			"secret %s/%s was not written by clusterbackup (no label %s=%s) and is left unchanged: label it to hand it to the loop, or delete it (docs/credentials.md)", ns, r.Options.CredentialsSecret, ManagedByLabel, ManagedByValue)
		return
	}
	if res.password == Kept && res.bucketRepo != "" {
		r.report(c, "bucket:"+res.bucketRepo, corev1.EventTypeWarning, ReasonPasswordKeptForBucket,
			"secret %s/%s keeps Velero's default repository password: kopia repository %s in the bucket does not open with seed secret %s's, and replacing it would lock Velero out (docs/credentials.md)", ns, RepoSecret, res.bucketRepo, seedName)
		return
	}
	if res.password == Kept {
		r.report(c, "conflict", corev1.EventTypeWarning, ReasonPasswordConflict,
			"secret %s/%s holds a different repository password than seed secret %s and may encrypt existing repositories; left unchanged (docs/credentials.md)", ns, RepoSecret, seedName)
		return
	}
	r.report(c, "current", "", "", "")
}

// report records an Event when the cluster's state differs from the last
// one reported (typ "" records nothing, it only remembers the state).
func (r *Reconciler) report(c *kkpv1.Cluster, state, typ, reason, note string, args ...any) {
	r.reportOn(c.Name, c, state, typ, reason, note, args...)
}

// reportOn is report for one aspect of a cluster, remembered under k.
func (r *Reconciler) reportOn(k string, c *kkpv1.Cluster, state, typ, reason, note string, args ...any) {
	r.mu.Lock()
	changed := r.last[k] != state
	if r.last == nil {
		r.last = map[string]string{}
	}
	r.last[k] = state
	r.mu.Unlock()
	if changed && typ != "" {
		r.event(c, typ, reason, note, args...)
	}
}

func (r *Reconciler) event(c *kkpv1.Cluster, typ, reason, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(c, nil, typ, reason, "DeliverCredentials", note, args...)
	}
}

// forget drops what the loop remembers of a cluster and its metric series.
func (r *Reconciler) forget(cluster string) {
	r.mu.Lock()
	for _, k := range []string{cluster, cluster + "/shared", cluster + "/confined"} {
		delete(r.last, k)
	}
	delete(r.uses, cluster)
	r.mu.Unlock()
	r.Metrics.drop(cluster)
	r.Users.Forget(cluster)
}
