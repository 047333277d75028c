package download

import (
	"context"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3client"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

func TestKeyAndBackupName(t *testing.T) {
	c := &Client{layout: storage.LayoutOf("seed/p/c")}
	if got := c.Key("nightly"); got != "seed/p/c/backups/nightly/nightly.tar.gz" {
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
		l    storage.Location
		want string
	}{
		"no secret": {storage.Location{Credentials: creds.Static{AccessKeyID: "AK"}}, "secret access key"},
		"bad ca":    {storage.Location{Endpoint: "https://203.0.113.7", Credentials: cr, CACert: []byte("not pem")}, "holds no PEM certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.l.Bucket, tc.l.Prefix = "b", "p/c"
			if _, err := New(context.Background(), tc.l, s3client.Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
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

// allowLoopback is the tests' dial policy: their S3 servers listen on
// 127.0.0.1, which the default policy refuses.
var allowLoopback = s3client.Options{Policy: s3client.Policy{Allow: s3client.MustPrefixes("127.0.0.1/32")}}
