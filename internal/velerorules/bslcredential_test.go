package velerorules

import (
	"context"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// TestValidateBSLCredential: the managed credential signs for the managed
// BSL and the read-only previous locations only, so no spelling of the
// managed endpoint (nor another name of its server) reaches the managed
// bucket with the managed key; other storage brings its own Secret.
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
	managedByName := []string{`spec.credential.name: Forbidden: BSL`, `names the managed credentials Secret "velero-cloud-credentials"`,
		`only the managed BSL "default" and the cluster's read-only previous locations may use the managed credential`}
	managedByDefault := []string{`spec.credential: Forbidden: BSL`, `names no credential, so Velero would use its default credentials file`,
		`only the managed BSL "default" and the cluster's read-only previous locations may use the managed credential`}
	ownElsewhere := []string{`spec.credential.name: Forbidden: BSL`, `a Secret of its own is admitted only for a BSL on other storage while other storage is allowed`}
	dr := func() *velerov1.BackupStorageLocation {
		return fixtures.BSL("dr", "dr-bucket", "https://dr.example.com", "x")
	}
	// alias is the managed bucket behind another name of its server (a DNS
	// alias, localhost for 127.0.0.1): storage.SameEndpoint cannot see it.
	alias := func() *velerov1.BackupStorageLocation {
		return fixtures.BSL("alias", "backups", "https://s3-alias.example.com", "kkp/p1/c1")
	}
	tests := map[string]struct {
		obj     *velerov1.BackupStorageLocation
		allow   bool
		wantErr []string
	}{
		"managed BSL, managed Secret":           {obj: withCred(managedBSL(), DefaultCredentialsSecret)},
		"managed BSL, no credential":            {obj: managedBSL()},
		"managed BSL, foreign Secret":           {obj: withCred(managedBSL(), "stolen"), wantErr: denied},
		"managed BSL, foreign Secret, other ok": {obj: withCred(managedBSL(), "stolen"), allow: true, wantErr: denied},
		"previous location, foreign Secret":     {obj: withCred(ro(fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1")), "old-keys"), allow: true, wantErr: denied},
		"previous location, managed Secret":     {obj: withCred(ro(fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1")), DefaultCredentialsSecret)},
		"previous location, no credential":      {obj: ro(fixtures.BSL("old", "old", "https://old.example.com", "kkp/p1/c1"))},
		"previous location spelled else":        {obj: ro(fixtures.BSL("old", "old", "https://OLD.example.com:0443/", "kkp/p1/c1/"))},
		"other storage allowed, its own Secret": {obj: withCred(dr(), "dr-keys"), allow: true},
		"other storage allowed, managed Secret": {obj: withCred(dr(), DefaultCredentialsSecret), allow: true, wantErr: managedByName},
		"other storage allowed, no credential":  {obj: dr(), allow: true, wantErr: managedByDefault},
		"other storage allowed, empty name":     {obj: withCred(dr(), ""), allow: true, wantErr: managedByDefault},
		"other storage not allowed, own Secret": {obj: withCred(dr(), "dr-keys"), wantErr: ownElsewhere},
		"managed storage, other prefix, own keys": {obj: withCred(fixtures.BSL("nested", "backups", "https://s3.example.com", "kkp/p1/c1/x"), "mine"), allow: true,
			wantErr: ownElsewhere},
		"managed endpoint with a leading-zero port, own keys": {obj: withCred(fixtures.BSL("zero", "backups", "https://s3.example.com:0443", "kkp/p1/c2"), "mine"), allow: true,
			wantErr: ownElsewhere},
		"alias of the managed server, no credential":  {obj: alias(), allow: true, wantErr: managedByDefault},
		"alias of the managed server, managed Secret": {obj: withCred(alias(), DefaultCredentialsSecret), allow: true, wantErr: managedByName},
		"alias of the managed server, its own Secret": {obj: withCred(alias(), "mine"), allow: true},
		"a previous location's labels do not exempt it": {obj: func() *velerov1.BackupStorageLocation {
			b := ro(dr())
			b.Labels = map[string]string{"clusterbackup.io/previous-location": "true"}
			return b
		}(), allow: true, wantErr: managedByDefault},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			cfg.AllowOtherStorage = tc.allow
			errs, warns := ValidateBSL(context.Background(), cfg, world(), User{Name: applier}, tc.obj, nil)
			check(t, errs, warns, tc.wantErr, "")
		})
	}
}
