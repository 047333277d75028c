package download

import (
	"strings"
	"testing"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func loc(config map[string]string, ca []byte) *kkpv1.ClusterBackupStorageLocation {
	return &kkpv1.ClusterBackupStorageLocation{Spec: velerov1.BackupStorageLocationSpec{
		Provider:    "aws",
		Config:      config,
		StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "b", CACert: ca}},
	}}
}

func TestOptionsFor(t *testing.T) {
	cfg := field.NewPath("spec", "config")
	cr := creds.Static{AccessKeyID: "AK", SecretAccessKey: "SK"}
	tests := map[string]struct {
		config map[string]string
		ca     []byte
		want   Options
		errs   field.ErrorList
	}{
		"aws": {
			config: map[string]string{"region": "eu-west-1"},
			want:   Options{Region: "eu-west-1"},
		},
		"custom endpoint defaults to path style": {
			config: map[string]string{"region": "r", "s3Url": "https://s3.example.com:9000"},
			want:   Options{Endpoint: "https://s3.example.com:9000", Region: "r", PathStyle: true},
		},
		"path style off": {
			config: map[string]string{"s3Url": "http://minio:9000", "s3ForcePathStyle": "false"},
			want:   Options{Endpoint: "http://minio:9000"},
		},
		"path style on for aws": {
			config: map[string]string{"s3ForcePathStyle": "true"},
			want:   Options{PathStyle: true},
		},
		"ca and insecure": {
			config: map[string]string{"s3Url": "https://s3", "insecureSkipTLSVerify": "true"},
			ca:     []byte("PEM"),
			want:   Options{Endpoint: "https://s3", PathStyle: true, CACert: []byte("PEM"), InsecureSkipTLSVerify: true},
		},
		"bad scheme": {
			config: map[string]string{"s3Url": "ftp://s3"},
			errs:   field.ErrorList{field.Invalid(cfg.Key("s3Url"), "ftp://s3", "")},
		},
		"no host": {
			config: map[string]string{"s3Url": "https://"},
			errs:   field.ErrorList{field.Invalid(cfg.Key("s3Url"), "https://", "")},
		},
		"user info is redacted": {
			config: map[string]string{"s3Url": "https://u:pw@s3"},
			errs:   field.ErrorList{field.Invalid(cfg.Key("s3Url"), "https://u:xxxxx@s3", "")},
		},
		"bad bools": {
			config: map[string]string{"s3ForcePathStyle": "yes please", "insecureSkipTLSVerify": "maybe"},
			errs: field.ErrorList{
				field.Invalid(cfg.Key("s3ForcePathStyle"), "yes please", ""),
				field.Invalid(cfg.Key("insecureSkipTLSVerify"), "maybe", ""),
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, errs := OptionsFor(loc(tc.config, tc.ca), cr)
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors %v; want %v", errs, tc.errs)
			}
			for i := range errs {
				if errs[i].Field != tc.errs[i].Field || errs[i].BadValue != tc.errs[i].BadValue || errs[i].Type != tc.errs[i].Type {
					t.Fatalf("error %d = %v; want %v", i, errs[i], tc.errs[i])
				}
			}
			if len(tc.errs) > 0 {
				return
			}
			tc.want.Credentials = cr
			if got.Endpoint != tc.want.Endpoint || got.Region != tc.want.Region || got.PathStyle != tc.want.PathStyle ||
				string(got.CACert) != string(tc.want.CACert) || got.InsecureSkipTLSVerify != tc.want.InsecureSkipTLSVerify || got.Credentials != cr {
				t.Fatalf("OptionsFor = %+v; want %+v", got, tc.want)
			}
		})
	}
}

func TestKeyAndBackupName(t *testing.T) {
	if got := Key("seed/p/c", "nightly"); got != "seed/p/c/backups/nightly/nightly.tar.gz" {
		t.Fatalf("Key = %q", got)
	}
	for name, ok := range map[string]bool{"nightly": true, "daily-20261125.0100": true, "": false, "../x": false, "a/b": false, "UPPER": false, strings.Repeat("a", 254): false} {
		if err := ValidateBackupName(name); (err == nil) != ok {
			t.Errorf("ValidateBackupName(%q) = %v; want ok=%v", name, err, ok)
		}
	}
}

func TestNewRejects(t *testing.T) {
	cr := creds.Static{AccessKeyID: "AK", SecretAccessKey: "SK"}
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no secret": {Options{Credentials: creds.Static{AccessKeyID: "AK"}}, "secret access key"},
		"bad ca":    {Options{Credentials: cr, CACert: []byte("not pem")}, "holds no PEM certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(tc.o, "b", "p/c"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
}

func TestMissingBackupError(t *testing.T) {
	for name, tc := range map[string]struct {
		e    MissingBackupError
		want string
	}{
		"none":    {MissingBackupError{Backup: "x", Location: "s3://b/k", Dir: "p/backups/"}, `backup "x" not found: no object s3://b/k; there are no backups under p/backups/`},
		"some":    {MissingBackupError{Backup: "x", Location: "s3://b/k", Dir: "p/backups/", Existing: []string{"a", "b"}}, "; backups under p/backups/: a, b"},
		"more":    {MissingBackupError{Backup: "x", Location: "s3://b/k", Dir: "p/backups/", Existing: []string{"a"}, More: true}, ": a, …"},
		"folder":  {MissingBackupError{Backup: "a", Location: "s3://b/k", Dir: "p/backups/", Existing: []string{"a"}}, "holds no tarball"},
		"listerr": {MissingBackupError{Backup: "x", Location: "s3://b/k", Dir: "p/backups/", ListErr: ErrAccessDenied}, "listing p/backups/ failed too: access denied"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := tc.e.Error(); !strings.Contains(got, tc.want) {
				t.Fatalf("Error() = %q; want %q", got, tc.want)
			}
		})
	}
}
