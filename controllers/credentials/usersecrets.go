package credentials

import (
	"bytes"
	"context"
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Outcome says what writing one Secret did.
type Outcome string

// Outcomes of writing a Secret into a user cluster.
const (
	// Unchanged: the Secret already held the wanted data.
	Unchanged Outcome = "unchanged"
	// Created: the Secret did not exist.
	Created Outcome = "created"
	// Updated: the Secret's data was replaced (credentials only; for the
	// repository password only Velero's start-up default is replaced).
	Updated Outcome = "updated"
	// Kept: the repository password differs and was left alone, because a
	// repository may already be encrypted with it.
	Kept Outcome = "kept"
	// NotOwned: the credentials Secret exists without the loop's
	// ownership marker (ManagedByLabel) and was left alone: someone else
	// put a key there, perhaps a dedicated one.
	NotOwned Outcome = "not-owned"
)

// ensureNamespace creates the Velero namespace; an existing one is not
// touched. The loop calls it only when a Secret create answered that the
// namespace is missing (the loop may run before the release is applied),
// so a resync of a cluster that has it writes nothing.
func ensureNamespace(ctx context.Context, c client.Client, ns string) error {
	err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	return nil
}

// createSecret creates s, and the namespace first when the create says it
// is missing.
func createSecret(ctx context.Context, c client.Client, s *corev1.Secret) error {
	err := c.Create(quiet(ctx), s)
	if apierrors.IsNotFound(err) {
		if err := ensureNamespace(ctx, c, s.Namespace); err != nil {
			return err
		}
		err = c.Create(quiet(ctx), s)
	}
	if err != nil {
		return fmt.Errorf("create secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	return nil
}

// managedSecrets are the Secrets of the Velero namespace carrying the
// loop's ManagedByLabel, by name: one LIST, which in the steady state finds
// both Secrets the loop keeps (the credentials and the repository password).
type managedSecrets map[string]*corev1.Secret

// listManaged LISTs the Secrets of ns labelled ManagedByLabel=ManagedByValue
// (a missing namespace lists none).
func listManaged(ctx context.Context, c client.Client, ns string) (managedSecrets, error) {
	var list corev1.SecretList
	if err := c.List(quiet(ctx), &list, client.InNamespace(ns), client.MatchingLabels{ManagedByLabel: ManagedByValue}); err != nil {
		return nil, fmt.Errorf("list secrets in %s: %w", ns, err)
	}
	out := make(managedSecrets, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out, nil
}

// get returns Secret ns/name: from the LIST when it returned it, else with
// a GET (it may exist without the label: someone else's credentials, or
// Velero's start-up default password). found is false when it does not
// exist.
func (m managedSecrets) get(ctx context.Context, c client.Client, ns, name string) (s corev1.Secret, found bool, err error) {
	if got, ok := m[name]; ok {
		return *got, true, nil
	}
	err = c.Get(quiet(ctx), client.ObjectKey{Namespace: ns, Name: name}, &s)
	switch {
	case apierrors.IsNotFound(err):
		return s, false, nil
	case err != nil:
		return s, false, fmt.Errorf("read secret %s/%s: %w", ns, name, err)
	}
	return s, true, nil
}

// writeCredentials makes Secret ns/name hold exactly key=file, replacing the
// data of an existing Secret the loop wrote (the seed is the source of the
// credentials). A Secret without the loop's ownership marker
// (ManagedByLabel=ManagedByValue) is NotOwned and left unchanged: the loop
// never overwrites a key it did not write.
func writeCredentials(ctx context.Context, c client.Client, known managedSecrets, ns, name, key, cbsl string, file []byte) (Outcome, error) {
	s, found, err := known.get(ctx, c, ns, name)
	if err != nil {
		return "", err
	}
	if !found {
		s = corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: managedLabels(ComponentCredentials), Annotations: map[string]string{CBSLAnnotation: cbsl}},
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{key: file},
		}
		if err := createSecret(ctx, c, &s); err != nil {
			return "", err
		}
		return Created, nil
	}
	if s.Labels[ManagedByLabel] != ManagedByValue {
		return NotOwned, nil
	}
	if len(s.Data) == 1 && bytes.Equal(s.Data[key], file) && labelled(s.ObjectMeta) && s.Labels[ComponentLabel] == ComponentCredentials && s.Annotations[CBSLAnnotation] == cbsl {
		return Unchanged, nil
	}
	s.Data, s.StringData = map[string][]byte{key: file}, nil
	setManaged(&s.ObjectMeta, ComponentCredentials)
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[CBSLAnnotation] = cbsl
	if err := c.Update(quiet(ctx), &s); err != nil {
		return "", fmt.Errorf("update secret %s/%s: %w", ns, name, err)
	}
	return Updated, nil
}

// repoState is what a user cluster holds as Velero's repository password.
type repoState struct {
	// exists: Secret velero-repo-credentials exists.
	exists bool
	// password is its repository-password.
	password []byte
	// managed: it carries our labels (managed-by, exclude-from-backup).
	managed bool
	// repos: a BackupRepository exists, so a repository may already be
	// encrypted with password.
	repos bool
	// inBucket: a Kopia repository in the cluster's prefix does not open
	// with the password meant to replace Velero's default (checkBucket).
	inBucket bool
	secret   corev1.Secret
}

// veleroDefault reports whether the state holds Velero's built-in default
// password.
func (r repoState) veleroDefault() bool { return bytes.Equal(r.password, []byte(veleroDefaultPw)) }

// replaceable reports whether nothing can be encrypted with the current
// password yet: it is missing, or Velero's start-up default while no
// BackupRepository exists and the bucket holds no Kopia repository the
// new password would not open (checkBucket).
func (r repoState) replaceable() bool {
	return !r.exists || (r.veleroDefault() && !r.repos && !r.inBucket)
}

// readRepo reads the repository password Secret and, only when it holds
// Velero's start-up default (the one case replaceable asks), whether any
// BackupRepository exists in ns (none when Velero's CRDs are missing).
func readRepo(ctx context.Context, c client.Client, known managedSecrets, ns string) (repoState, error) {
	var r repoState
	s, found, err := known.get(ctx, c, ns, RepoSecret)
	if err != nil {
		return r, err
	}
	if found {
		r.secret, r.exists, r.password, r.managed = s, true, s.Data[RepoKey], labelled(s.ObjectMeta)
	}
	if !r.exists || !r.veleroDefault() {
		return r, nil
	}
	var repos velerov1.BackupRepositoryList
	if err := c.List(ctx, &repos, client.InNamespace(ns), client.Limit(1)); err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
		return r, fmt.Errorf("list backuprepositories in %s: %w", ns, err)
	}
	r.repos = len(repos.Items) > 0
	return r, nil
}

// writeRepoPassword makes Velero's repository password Secret hold pw when
// that is safe: it creates a missing Secret and replaces one only while it
// is replaceable (Velero writes its built-in default at start-up when the
// Secret is missing). Any other differing password is Kept: replacing it
// would lock Velero out of its repositories.
func writeRepoPassword(ctx context.Context, c client.Client, ns string, r repoState, pw []byte) (Outcome, error) {
	if !r.exists {
		s := corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: RepoSecret, Namespace: ns, Labels: managedLabels(ComponentRepoPassword)},
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{RepoKey: pw},
		}
		if err := createSecret(ctx, c, &s); err != nil {
			return "", err
		}
		return Created, nil
	}
	s := r.secret
	out := Unchanged
	switch {
	case bytes.Equal(r.password, pw):
		if r.managed {
			return Unchanged, nil
		}
	case r.replaceable():
		s.Data, out = map[string][]byte{RepoKey: pw}, Updated
	default:
		return Kept, nil
	}
	setManaged(&s.ObjectMeta, ComponentRepoPassword)
	if err := c.Update(quiet(ctx), &s); err != nil {
		return "", fmt.Errorf("update secret %s/%s: %w", ns, RepoSecret, err)
	}
	return out, nil
}

// managedLabels are the labels of a Secret the loop writes in a user
// cluster: ours, and Velero's exclude-from-backup, so no backup carries the
// S3 key or the repository password next to the data they protect.
func managedLabels(component string) map[string]string {
	return map[string]string{ManagedByLabel: ManagedByValue, ComponentLabel: component, ExcludeFromBackupLabel: "true"}
}

// labelled reports whether m carries every managed label.
func labelled(m metav1.ObjectMeta) bool {
	return m.Labels[ManagedByLabel] == ManagedByValue && m.Labels[ExcludeFromBackupLabel] == "true"
}

func setManaged(m *metav1.ObjectMeta, component string) {
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	for k, v := range managedLabels(component) {
		m.Labels[k] = v
	}
}
