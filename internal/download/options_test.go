package download

import (
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

func TestOptionsFrom(t *testing.T) {
	l := storage.Location{Endpoint: "https://s3:9000", Region: "r", PathStyle: true, CACert: []byte("PEM"), InsecureSkipTLSVerify: true,
		Credentials: creds.Static{AccessKeyID: "AK", SecretAccessKey: "SK"}}
	o := OptionsFrom(l)
	if o.Endpoint != l.Endpoint || o.Region != "r" || !o.PathStyle || string(o.CACert) != "PEM" || !o.InsecureSkipTLSVerify || o.Credentials != l.Credentials {
		t.Fatalf("OptionsFrom = %+v", o)
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
