package storage

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

func secret(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

const iniFile = "[default]\naws_access_key_id=AK2\naws_secret_access_key=SUPERSECRET\n[other]\naws_access_key_id=O\naws_secret_access_key=SUPERSECRET\n"

// TestCredentialsLayouts: the named key wins when present; KKP's two keys
// are read whatever the key says when it is absent (the dashboard names
// "cloud-credentials", which its Secrets never hold); neither is an error
// naming both layouts, and no error carries the secret.
func TestCredentialsLayouts(t *testing.T) {
	kkp := map[string]string{"accessKeyId": "AK", "secretAccessKey": "SUPERSECRET"}
	tests := map[string]struct {
		key, profile string
		data         map[string]string
		want         creds.Static
		wantErr      string
		wantField    string
	}{
		"KKP dashboard: key cloud-credentials, only KKP keys": {key: "cloud-credentials", data: kkp, want: creds.Static{AccessKeyID: "AK", SecretAccessKey: "SUPERSECRET"}},
		"no key, KKP keys":                 {data: kkp, want: creds.Static{AccessKeyID: "AK", SecretAccessKey: "SUPERSECRET"}},
		"named key holds an INI file":      {key: "cloud-credentials", data: map[string]string{"cloud-credentials": iniFile}, want: creds.Static{AccessKeyID: "AK2", SecretAccessKey: "SUPERSECRET"}},
		"no key, cloud file":               {data: map[string]string{"cloud": iniFile}, want: creds.Static{AccessKeyID: "AK2", SecretAccessKey: "SUPERSECRET"}},
		"named key wins over KKP keys":     {key: "cloud", data: map[string]string{"cloud": iniFile, "accessKeyId": "AK", "secretAccessKey": "X"}, want: creds.Static{AccessKeyID: "AK2", SecretAccessKey: "SUPERSECRET"}},
		"profile":                          {key: "cloud", profile: "other", data: map[string]string{"cloud": iniFile}, want: creds.Static{AccessKeyID: "O", SecretAccessKey: "SUPERSECRET"}},
		"wrong profile":                    {key: "cloud", profile: "x", data: map[string]string{"cloud": iniFile}, wantErr: `no profile "x"`, wantField: "spec.credential.key"},
		"neither layout":                   {key: "cloud-credentials", data: map[string]string{"other": "SUPERSECRET"}, wantErr: `holds neither key "cloud-credentials" (an AWS credentials file) nor "accessKeyId" + "secretAccessKey" (KKP's layout)`, wantField: "spec.credential.name"},
		"neither layout, no key":           {data: map[string]string{}, wantErr: `neither key "cloud"`, wantField: "spec.credential.name"},
		"half a KKP pair":                  {key: "cloud-credentials", data: map[string]string{"accessKeyId": "AK"}, wantErr: `has "accessKeyId" but no "secretAccessKey"`, wantField: "spec.credential.name"},
		"other half of a KKP pair":         {data: map[string]string{"secretAccessKey": "SUPERSECRET"}, wantErr: `has "secretAccessKey" but no "accessKeyId"`, wantField: "spec.credential.name"},
		"key accessKeyId means KKP layout": {key: "accessKeyId", data: kkp, want: creds.Static{AccessKeyID: "AK", SecretAccessKey: "SUPERSECRET"}},
		// A line break in key material would add lines to the credentials
		// file Velero reads (credential_process= runs a command).
		"KKP secret key with a line break": {data: map[string]string{"accessKeyId": "AK", "secretAccessKey": "SUPERSECRET\ncredential_process=/bin/sh -c id"}, wantErr: "aws_secret_access_key holds a character that is not allowed", wantField: "spec.credential.name"},
		"KKP access key with a section":    {data: map[string]string{"accessKeyId": "AK\n[evil]", "secretAccessKey": "SUPERSECRET"}, wantErr: "aws_access_key_id holds a character", wantField: "spec.credential.name"},
		"INI value with a space":           {data: map[string]string{"cloud": "[default]\naws_access_key_id=AK\naws_secret_access_key=SUPERSECRET credential_process=x\n"}, wantErr: "aws_secret_access_key holds a character", wantField: "spec.credential.key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := fixtures.GoodCBSL()
			c.Spec.Credential.Key = tc.key
			if tc.profile != "" {
				c.Spec.Config[ConfigProfile] = tc.profile
			}
			got, errs := Credentials(c, secret(tc.data))
			if tc.wantErr == "" {
				if len(errs) > 0 || got != tc.want {
					t.Fatalf("got %v, %v; want %v", got, errs, tc.want)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.wantErr) || errs[0].Field != tc.wantField {
				t.Fatalf("errs = %v; want one at %s containing %q", errs, tc.wantField, tc.wantErr)
			}
			if strings.Contains(errs.ToAggregate().Error(), "SUPERSECRET") {
				t.Fatalf("error leaks the secret: %v", errs)
			}
		})
	}
	_, missing := Credentials(fixtures.GoodCBSL(), nil)
	if len(missing) != 1 || missing[0].Type != field.ErrorTypeNotFound || !strings.Contains(missing[0].Error(), `no secret kubermatic/creds of project "p1"`) {
		t.Fatalf("missing secret: %v", missing)
	}
	// Another project's Secret is answered exactly like a missing one.
	foreign := secret(kkp)
	foreign.Labels[kkpv1.ProjectIDLabel] = "p2"
	if _, errs := Credentials(fixtures.GoodCBSL(), foreign); errs.ToAggregate().Error() != missing.ToAggregate().Error() {
		t.Fatalf("another project's secret: %v; want the answer for a missing one: %v", errs, missing)
	}
	// KKP's dashboard Secret: owned by the CBSL (its labels aside).
	owned := secret(kkp)
	owned.Labels = nil
	owned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "kubermatic.k8s.io/v1", Kind: "ClusterBackupStorageLocation", Name: "loc", UID: "u"}}
	withUID := fixtures.GoodCBSL()
	withUID.UID = "u"
	if st, errs := Credentials(withUID, owned); len(errs) > 0 || st.AccessKeyID != "AK" {
		t.Fatalf("owned by the CBSL: %v", errs)
	}
}

// TestOwnerNeedsTheCBSLsUID: an owner reference makes a Secret the CBSL's
// only with the CBSL's UID. A Secret owned by an earlier CBSL of the same
// name — deleted, its Secret left behind, the name taken again by another
// project — is answered exactly like a missing one, and so is any owned
// Secret when the CBSL has no UID (read from a file). The project-id label
// path is unchanged.
func TestOwnerNeedsTheCBSLsUID(t *testing.T) {
	kkp := map[string]string{"accessKeyId": "AK", "secretAccessKey": "SUPERSECRET"}
	owned := func(uid string) *corev1.Secret {
		s := secret(kkp)
		s.Labels = map[string]string{kkpv1.ProjectIDLabel: "p-earlier"}
		s.OwnerReferences = []metav1.OwnerReference{{APIVersion: "kubermatic.k8s.io/v1", Kind: kkpv1.KindClusterBackupStorageLocation, Name: "loc", UID: types.UID(uid)}}
		return s
	}
	later := fixtures.GoodCBSL()
	later.UID = "uid-of-the-later-cbsl"
	_, missing := Credentials(later, nil)
	for name, tc := range map[string]struct {
		cbslUID, ownerUID string
		ok                bool
	}{
		"owned by this CBSL":                    {"uid-of-the-later-cbsl", "uid-of-the-later-cbsl", true},
		"owned by an earlier CBSL of that name": {"uid-of-the-later-cbsl", "uid-of-the-earlier-cbsl", false},
		"owner reference without a UID":         {"uid-of-the-later-cbsl", "", false},
		"CBSL without a UID":                    {"", "", false},
		"CBSL without a UID, owner with one":    {"", "uid-of-the-earlier-cbsl", false},
	} {
		t.Run(name, func(t *testing.T) {
			c := later.DeepCopy()
			c.UID = types.UID(tc.cbslUID)
			s := owned(tc.ownerUID)
			if got := OfProject(c, s); got != tc.ok {
				t.Fatalf("OfProject = %v, want %v", got, tc.ok)
			}
			st, errs := Credentials(c, s)
			if tc.ok {
				if len(errs) > 0 || st.AccessKeyID != "AK" {
					t.Fatalf("Credentials: %v", errs)
				}
				return
			}
			if errs.ToAggregate().Error() != missing.ToAggregate().Error() || st.AccessKeyID != "" {
				t.Fatalf("Credentials: %v, %v; want the answer for a missing secret: %v", st, errs, missing)
			}
		})
	}
	// The project-id label alone still suffices, with or without owners.
	labelled := owned("uid-of-the-earlier-cbsl")
	labelled.Labels[kkpv1.ProjectIDLabel] = "p1"
	if !OfProject(later, labelled) {
		t.Fatal("a Secret labelled with the CBSL's project is refused")
	}
}

// TestResolve: settings from the spec, CA from each of its three sources,
// and errors from validation and Secrets together.
func TestResolve(t *testing.T) {
	secrets := map[string]*corev1.Secret{
		"kubermatic/creds": secret(map[string]string{"accessKeyId": "AK", "secretAccessKey": "SK"}),
		"kubermatic/ca":    secret(map[string]string{"ca.crt": testPEM}),
	}
	get := func(_ context.Context, ns, name string) (*corev1.Secret, error) { return secrets[ns+"/"+name], nil }
	ctx := context.Background()

	c := fixtures.GoodCBSL()
	loc, errs, _, err := Resolve(ctx, c, get)
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if loc.Endpoint != "https://s3.example.com" || loc.Region != "eu-central-1" || loc.Bucket != "backups" || loc.Prefix != "seed-eu" ||
		!loc.PathStyle || loc.CACert != nil || loc.Credentials.AccessKeyID != "AK" {
		t.Fatalf("loc = %+v", loc)
	}
	if strings.Contains(loc.String(), "SK") || loc.String() != "bucket backups at https://s3.example.com:443 prefix seed-eu" {
		t.Fatalf("String = %q", loc.String())
	}
	cl, err := loc.ForCluster("p1", "c1")
	if err != nil || cl.Prefix != "seed-eu/p1/c1" {
		t.Fatalf("ForCluster = %+v, %v", cl, err)
	}

	c.Spec.Config[ConfigS3ForcePathStyle] = "false"
	c.Spec.Config[ConfigCACert] = testPEM
	if loc, _, _, _ = Resolve(ctx, c, get); loc.PathStyle || string(loc.CACert) != testPEM {
		t.Fatalf("config.caCert / path style off: %+v", loc)
	}
	c.Spec.ObjectStorage.CACertRef = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "ca"}, Key: "ca.crt"}
	if loc, errs, _, _ = Resolve(ctx, c, get); len(errs) > 0 || string(loc.CACert) != testPEM {
		t.Fatalf("caCertRef: %v", errs)
	}
	c.Spec.ObjectStorage.CACertRef.Key = "missing"
	if _, errs, _, _ = Resolve(ctx, c, get); len(errs) != 1 || errs[0].Field != "spec.objectStorage.caCertRef.key" {
		t.Fatalf("caCertRef missing key: %v", errs)
	}

	bad := fixtures.GoodCBSL()
	bad.Spec.ObjectStorage.Bucket = "Bad_Bucket"
	bad.Spec.Credential.Name = "absent"
	if _, errs, _, _ = Resolve(ctx, bad, get); len(errs) != 2 || errs[0].Field != "spec.objectStorage.bucket" || errs[1].Field != "spec.credential.name" {
		t.Fatalf("bad bucket and absent secret: %v", errs)
	}
}
