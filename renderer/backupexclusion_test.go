package renderer

import (
	"context"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestSecretsExcludedFromBackup: every Secret the release makes — rendered
// (inline credentials), made by the External Secrets Operator from the
// ExternalSecret's target template (both layouts), or issued by cert-manager
// for the webhook's Certificate — carries velero.io/exclude-from-backup=true,
// so no Velero backup of the velero namespace holds the bucket key or the
// webhook's serving key. test/e2e proves the label with a real Velero backup.
func TestSecretsExcludedFromBackup(t *testing.T) {
	in := loadCase(t, "inline-credentials")
	ini := in
	ini.CBSL = in.CBSL.DeepCopy()
	ini.CBSL.Spec.Credential.Key = "cloud"
	ini.Secret = in.Secret.DeepCopy()
	ini.Secret.Data = map[string][]byte{"cloud": []byte("[default]\naws_access_key_id=AKINI\naws_secret_access_key=SKINISECRET\n")}
	es := Options{Credentials: CredentialsExternalSecret, ExternalSecretStore: SecretStoreRef{Name: "store"}}
	webhook := map[string]any{"webhook": map[string]any{"enabled": true}}
	tests := map[string]struct {
		opts Options
		in   Input
		// want is the Kind whose Secret must be found.
		want string
	}{
		"inline Secret":                      {opts: Options{Credentials: CredentialsInline}, in: in, want: "Secret"},
		"ExternalSecret, KKP keys":           {opts: es, in: in, want: "ExternalSecret"},
		"ExternalSecret, INI file (no data)": {opts: es, in: ini, want: "ExternalSecret"},
		"webhook Certificate":                {opts: Options{Values: webhook}, in: in, want: "Certificate"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := mustRenderer(t, tc.opts).Render(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := res.Objects()
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, o := range objs {
				var path []string
				switch o.GetKind() {
				case "Secret":
					path = []string{"metadata", "labels"}
				case "ExternalSecret":
					path = []string{"spec", "target", "template", "metadata", "labels"}
				case "Certificate":
					path = []string{"spec", "secretTemplate", "labels"}
				default:
					continue
				}
				found = found || o.GetKind() == tc.want
				labels, _, err := unstructured.NestedStringMap(o.Object, path...)
				if err != nil {
					t.Fatal(err)
				}
				if labels[velerov1.ExcludeFromBackupLabel] != "true" {
					t.Errorf("%s %s/%s: the Secret it makes lacks %s=true at %v (labels %v)", o.GetKind(), o.GetNamespace(), o.GetName(), velerov1.ExcludeFromBackupLabel, path, labels)
				}
			}
			if !found {
				t.Fatalf("no %s rendered", tc.want)
			}
		})
	}
}
