package storage

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
)

// SecretGetter returns a Secret, or (nil, nil) when it does not exist. The
// error is for failures to read, not for a missing Secret.
type SecretGetter func(ctx context.Context, namespace, name string) (*corev1.Secret, error)

// Credentials reads a CBSL's static credentials from its credential Secret
// (nil: it does not exist). Two layouts are accepted:
//
//   - an AWS credentials file under spec.credential.key (Velero's layout;
//     key "cloud" when the CBSL names none), profile config.profile;
//   - accessKeyId + secretAccessKey (KKP's layout), used whenever the named
//     key is absent: KKP's dashboard names key "cloud-credentials", which its
//     Secrets never hold, and KKP reads the two fields whatever the key says.
//
// The error names both layouts when the Secret holds neither. No error
// contains a secret value.
func Credentials(c *kkpv1.ClusterBackupStorageLocation, secret *corev1.Secret) (creds.Static, field.ErrorList) {
	p := field.NewPath("spec", "credential")
	ref := c.Spec.Credential
	if ref == nil || ref.Name == "" {
		return creds.Static{}, field.ErrorList{field.Required(p.Child("name"), "name a Secret in the CBSL's namespace")}
	}
	where := "secret " + objectName(c.Namespace, ref.Name)
	if !OfProject(c, secret) {
		return creds.Static{}, field.ErrorList{secretNotFound(c, p.Child("name"), ref.Name)}
	}
	key := ref.Key
	if key == "" {
		key = kkpv1.CredentialCloudFile
	}
	if file, ok := secret.Data[key]; ok && key != kkpv1.CredentialAccessKeyID && key != kkpv1.CredentialSecretAccessKey {
		st, err := creds.ParseINI(file, c.Spec.Config[ConfigProfile])
		if err == nil {
			err = st.Validate()
		}
		if err != nil {
			return creds.Static{}, field.ErrorList{field.Invalid(p.Child("key"), key, fmt.Sprintf("%s: %v", where, err))}
		}
		return st, nil
	}
	id, sec := secret.Data[kkpv1.CredentialAccessKeyID], secret.Data[kkpv1.CredentialSecretAccessKey]
	switch {
	case len(id) > 0 && len(sec) > 0:
		st := creds.Static{AccessKeyID: strings.TrimSpace(string(id)), SecretAccessKey: strings.TrimSpace(string(sec))}
		if err := st.Validate(); err != nil {
			return creds.Static{}, field.ErrorList{field.Invalid(p.Child("name"), ref.Name, fmt.Sprintf("%s: %v", where, err))}
		}
		return st, nil
	case len(id) > 0 || len(sec) > 0:
		have, missing := kkpv1.CredentialAccessKeyID, kkpv1.CredentialSecretAccessKey
		if len(sec) > 0 {
			have, missing = missing, have
		}
		return creds.Static{}, field.ErrorList{field.Invalid(p.Child("name"), ref.Name, fmt.Sprintf("%s has %q but no %q", where, have, missing))}
	}
	return creds.Static{}, field.ErrorList{field.Invalid(p.Child("name"), ref.Name, fmt.Sprintf(
		"%s holds neither key %q (an AWS credentials file) nor %q + %q (KKP's layout)",
		where, key, kkpv1.CredentialAccessKeyID, kkpv1.CredentialSecretAccessKey))}
}

// CACert returns the CA bundle trusted for a CBSL's endpoint, in this order:
// spec.objectStorage.caCert, the Secret key spec.objectStorage.caCertRef
// names (read with get), config.caCert. nil means the system roots only.
// The bundle must be PEM certificates.
func CACert(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation, get SecretGetter) ([]byte, field.ErrorList, error) {
	os := c.Spec.ObjectStorage
	if os != nil && len(os.CACert) > 0 {
		return os.CACert, ValidateCACert(os.CACert, field.NewPath("spec", "objectStorage", "caCert")), nil
	}
	if os != nil && os.CACertRef != nil && os.CACertRef.Name != "" && os.CACertRef.Key != "" {
		p := field.NewPath("spec", "objectStorage", "caCertRef")
		ref := os.CACertRef
		s, err := get(ctx, c.Namespace, ref.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("read secret %s: %w", objectName(c.Namespace, ref.Name), err)
		}
		if !OfProject(c, s) {
			return nil, field.ErrorList{secretNotFound(c, p.Child("name"), ref.Name)}, nil
		}
		data, ok := s.Data[ref.Key]
		if !ok {
			return nil, field.ErrorList{field.Invalid(p.Child("key"), ref.Key, fmt.Sprintf("secret %s has no such key", objectName(c.Namespace, ref.Name)))}, nil
		}
		return data, ValidateCACert(data, p), nil
	}
	if v := c.Spec.Config[ConfigCACert]; v != "" {
		return []byte(v), ValidateCACert([]byte(v), field.NewPath("spec", "config").Key(ConfigCACert)), nil
	}
	return nil, nil, nil
}

// OfProject reports whether a CBSL may use secret: it exists and belongs to
// the CBSL's project, by its project-id label or by an owner reference to
// this very CBSL — kind, name and UID (KKP's dashboard sets both). Kind and
// name alone are not enough: a Secret owned by an earlier CBSL of that name
// (deleted, its Secret orphaned, the name taken by another project) is not
// this CBSL's, and a CBSL without a UID (a file) owns nothing. A CBSL must
// never sign requests with another project's credentials, nor learn whether
// they exist.
func OfProject(c *kkpv1.ClusterBackupStorageLocation, secret *corev1.Secret) bool {
	if secret == nil {
		return false
	}
	if p := c.Labels[kkpv1.ProjectIDLabel]; p != "" && secret.Labels[kkpv1.ProjectIDLabel] == p {
		return true
	}
	if c.UID == "" {
		return false
	}
	for _, o := range secret.OwnerReferences {
		if o.Kind == kkpv1.KindClusterBackupStorageLocation && o.Name == c.Name && o.UID == c.UID {
			return true
		}
	}
	return false
}

// secretNotFound is the one answer for a Secret that does not exist and for
// one of another project, so neither reveals the other.
func secretNotFound(c *kkpv1.ClusterBackupStorageLocation, fldPath *field.Path, name string) *field.Error {
	e := field.NotFound(fldPath, name)
	e.Detail = fmt.Sprintf("no secret %s of project %q (label %s=%s, or owned by this CBSL)",
		objectName(c.Namespace, name), c.Labels[kkpv1.ProjectIDLabel], kkpv1.ProjectIDLabel, c.Labels[kkpv1.ProjectIDLabel])
	return e
}
