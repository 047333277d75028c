package credentials

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// passwordBytes is the entropy of a generated repository password (256 bits).
const passwordBytes = 32

// NewPassword returns a random repository password: 32 bytes from
// crypto/rand, base64url without padding (43 characters).
func NewPassword() ([]byte, error) {
	b := make([]byte, passwordBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate repository password: %w", err)
	}
	out := make([]byte, base64.RawURLEncoding.EncodedLen(len(b)))
	base64.RawURLEncoding.Encode(out, b)
	return out, nil
}

// PasswordStore keeps each cluster's repository password on the seed, in
// Secret <Prefix><clusterID> of Namespace (key RepoKey), labelled with the
// cluster's ID and project. A password is created once and never changed by
// the loop: the Secret carries no owner reference, so it outlives the
// Cluster and its cluster-<id> namespace. The name alone does not make a
// Secret the cluster's password (Get): its labels must say so.
type PasswordStore struct {
	// Client writes the Secrets (create only) and reads them from the
	// cache: the steady state reads nothing from the API.
	Client client.Client
	// Reader reads them uncached when the cache has none, so a just-created
	// password is never generated twice.
	Reader client.Reader
	// Namespace is the CBSL namespace.
	Namespace string
	// Prefix + cluster ID is the Secret name.
	Prefix string
}

// Name returns the name of the Secret keeping clusterID's password.
func (p *PasswordStore) Name(clusterID string) string { return p.Prefix + clusterID }

// Get returns the stored password of a cluster, or nil when there is none.
//
// A Secret of that name is used only when its cluster-id label names the
// cluster and its project-id label, if it has one, the cluster's project:
// the CBSL namespace holds Secrets others write (the projects' CBSL
// credentials), and one that merely takes the name must neither hand a
// cluster a password someone chose nor be replaced. Any other Secret is a
// configuration error (an Event on the Cluster, retried on the period); the
// loop leaves it untouched and delivers no password.
func (p *PasswordStore) Get(ctx context.Context, c *kkpv1.Cluster) ([]byte, error) {
	var s corev1.Secret
	name := p.Namespace + "/" + p.Name(c.Name)
	key := client.ObjectKey{Namespace: p.Namespace, Name: p.Name(c.Name)}
	err := p.Client.Get(quiet(ctx), key, &s)
	if apierrors.IsNotFound(err) {
		// Not cached (yet): read as stored before anyone generates one.
		err = p.Reader.Get(quiet(ctx), key, &s)
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	if err := clusterSecretOf(&s, c); err != nil {
		return nil, configError("secret %s is not the repository password of cluster %s: %v; it is left untouched and no password is delivered: label it (%s=%s, %s=%s) if it is, or delete it (docs/credentials.md)",
			name, c.Name, err, ClusterIDLabel, c.Name, kkpv1.ProjectIDLabel, c.ProjectID())
	}
	if len(s.Data[RepoKey]) == 0 {
		return nil, fmt.Errorf("secret %s has no key %q: restore it from a backup of the seed (the loop never replaces a repository password)", name, RepoKey)
	}
	return s.Data[RepoKey], nil
}

// Store keeps pw as the cluster's password. It returns the password the
// seed holds afterwards: pw, or the one another worker or replica stored
// first.
func (p *PasswordStore) Store(ctx context.Context, c *kkpv1.Cluster, pw []byte) ([]byte, error) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name(c.Name), Namespace: p.Namespace,
			Labels: map[string]string{
				ManagedByLabel: ManagedByValue, ComponentLabel: ComponentRepoPassword,
				ClusterIDLabel: c.Name, kkpv1.ProjectIDLabel: c.ProjectID(),
			},
			Annotations: map[string]string{
				"clusterbackup.io/purpose": "Kopia repository password of user cluster " + c.Name + "; needed to restore its file system backups. Never changed by clusterbackup; keep a copy (docs/credentials.md).",
			},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{RepoKey: pw},
	}
	err := p.Client.Create(quiet(ctx), s)
	if apierrors.IsAlreadyExists(err) {
		got, err := p.Get(ctx, c)
		if err == nil && got == nil {
			err = errors.New("password secret vanished right after it was created")
		}
		return got, err
	}
	if err != nil {
		return nil, fmt.Errorf("create secret %s/%s: %w", p.Namespace, p.Name(c.Name), err)
	}
	return pw, nil
}

// quiet returns ctx with a discarding logger: client-go's debug logging
// (verbosity ≥ 8) dumps response bodies, which hold Secret data.
func quiet(ctx context.Context) context.Context { return logr.NewContext(ctx, logr.Discard()) }
