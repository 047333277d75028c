package seed

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
)

// ValidateCredentialSecret reads a CBSL's static credentials from its Secret
// (nil when the Secret does not exist). The Secret must hold accessKeyId +
// secretAccessKey (KKP's keys) or an AWS credentials file under the key the
// CBSL names ("cloud" by default). Errors never contain a secret value.
func ValidateCredentialSecret(c *kkpv1.ClusterBackupStorageLocation, secret *corev1.Secret) (creds.Static, field.ErrorList) {
	p := field.NewPath("spec", "credential")
	if c.Spec.Credential == nil || c.Spec.Credential.Name == "" {
		return creds.Static{}, field.ErrorList{field.Required(p, "name a Secret in the CBSL's namespace")}
	}
	ref := c.Spec.Credential
	if secret == nil {
		return creds.Static{}, field.ErrorList{field.NotFound(p.Child("name"), fmt.Sprintf("secret %s/%s", c.Namespace, ref.Name))}
	}
	st, err := creds.FromSecretData(secret.Data, ref.Key, c.Spec.Config[configProfile])
	if err != nil {
		at := p.Child("key")
		if ref.Key == "" || errors.Is(err, creds.ErrNoCredentials) {
			at = p.Child("name")
		}
		return creds.Static{}, field.ErrorList{field.Invalid(at, ref.Name+"/"+ref.Key,
			fmt.Sprintf("secret %s/%s: %v", c.Namespace, ref.Name, err))}
	}
	return st, nil
}

// CACertFromSecret returns the CA bundle a CBSL's caCertRef names (nil
// secret when it does not exist).
func CACertFromSecret(c *kkpv1.ClusterBackupStorageLocation, secret *corev1.Secret) ([]byte, field.ErrorList) {
	p := field.NewPath("spec", "objectStorage", "caCertRef")
	ref := c.Spec.ObjectStorage.CACertRef
	if secret == nil {
		return nil, field.ErrorList{field.NotFound(p.Child("name"), fmt.Sprintf("secret %s/%s", c.Namespace, ref.Name))}
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return nil, field.ErrorList{field.Invalid(p.Child("key"), ref.Key, fmt.Sprintf("secret %s/%s has no such key", c.Namespace, ref.Name))}
	}
	if errs := ValidateCACert(data, p); len(errs) > 0 {
		return nil, errs
	}
	return data, nil
}
