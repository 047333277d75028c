package velero

import (
	"context"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestValidateBSLCredential(t *testing.T) {
	withCred := func(b *velerov1.BackupStorageLocation, name string) *velerov1.BackupStorageLocation {
		b.Spec.Credential = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "cloud"}
		return b
	}
	ro := func(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
		b.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
		return b
	}
	denied := []string{`spec.credential.name: Forbidden: BSL`, `only the managed credentials Secret "velero-cloud-credentials"`}
	tests := map[string]struct {
		obj     *velerov1.BackupStorageLocation
		allow   bool
		wantErr []string
	}{
		"managed BSL, managed Secret":             {obj: withCred(managedBSL(), DefaultCredentialsSecret)},
		"managed BSL, no credential":              {obj: managedBSL()},
		"managed BSL, foreign Secret":             {obj: withCred(managedBSL(), "stolen"), wantErr: denied},
		"managed BSL, foreign Secret, other ok":   {obj: withCred(managedBSL(), "stolen"), allow: true, wantErr: denied},
		"previous location, foreign Secret":       {obj: withCred(ro(bslObj("old", "old", "https://old.example.com", "kkp/p1/c1", false)), "old-keys"), allow: true, wantErr: denied},
		"previous location, managed Secret":       {obj: withCred(ro(bslObj("old", "old", "https://old.example.com", "kkp/p1/c1", false)), DefaultCredentialsSecret)},
		"other storage allowed, its own Secret":   {obj: withCred(bslObj("dr", "dr-bucket", "https://dr.example.com", "x", false), "dr-keys"), allow: true},
		"other storage allowed, managed Secret":   {obj: withCred(bslObj("dr", "dr-bucket", "https://dr.example.com", "x", false), DefaultCredentialsSecret), allow: true},
		"other storage not allowed, foreign one":  {obj: withCred(bslObj("dr", "dr-bucket", "https://dr.example.com", "x", false), "dr-keys"), wantErr: denied},
		"managed storage, other prefix, own keys": {obj: withCred(bslObj("nested", "backups", "https://s3.example.com", "kkp/p1/c1/x", false), "mine"), allow: true, wantErr: denied},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			cfg.AllowOtherStorage = tc.allow
			errs, warns := ValidateBSL(context.Background(), cfg, world(), User{Name: applier}, tc.obj, nil)
			if tc.wantErr == nil {
				for _, e := range errs {
					if e.Field == "spec.credential.name" {
						t.Fatalf("credential denied: %v", e)
					}
				}
				return
			}
			check(t, errs, warns, tc.wantErr, "")
		})
	}
}
