package renderer

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// externalSecretValues returns the credentials section of mode
// CredentialsExternalSecret: the store, the remote key (the CBSL's
// credential Secret name) and its layout. The layout is "ini" only when the
// CBSL's Secret is among the inputs and holds an AWS credentials file under
// spec.credential.key (storage.Credentials' first layout); otherwise KKP's
// accessKeyId + secretAccessKey. No secret value is read into the output.
func externalSecretValues(in Input, opts Options) (map[string]any, error) {
	p := field.NewPath("spec", "credential", "name")
	if opts.ExternalSecretStore.Name == "" {
		return nil, fmt.Errorf("credentials mode %q needs a SecretStore or ClusterSecretStore name (renderer.Options.ExternalSecretStore, --external-secret-store)", CredentialsExternalSecret)
	}
	ref := in.CBSL.Spec.Credential
	if ref == nil || ref.Name == "" {
		return nil, cbslError(in.CBSLSource, in.CBSL, field.ErrorList{field.Required(p, "an ExternalSecret reads the CBSL's credential Secret by name")})
	}
	kind := opts.ExternalSecretStore.Kind
	if kind == "" {
		kind = "ClusterSecretStore"
	}
	if kind != "ClusterSecretStore" && kind != "SecretStore" {
		return nil, fmt.Errorf("external secret store kind %q: use ClusterSecretStore or SecretStore", kind)
	}
	es := map[string]any{
		"storeRef":  map[string]any{"name": opts.ExternalSecretStore.Name, "kind": kind},
		"remoteKey": ref.Name,
		"layout":    "keys",
	}
	key := ref.Key
	if key == "" {
		key = kkpv1.CredentialCloudFile
	}
	if in.Secret != nil && key != kkpv1.CredentialAccessKeyID && key != kkpv1.CredentialSecretAccessKey {
		if _, ok := in.Secret.Data[key]; ok {
			es["layout"], es["iniProperty"] = "ini", key
		}
	}
	out := map[string]any{"mode": string(CredentialsExternalSecret), "externalSecret": es}
	if opts.CredentialsSecret != "" {
		out["existingSecret"] = opts.CredentialsSecret
	}
	return out, nil
}
