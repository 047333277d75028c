package credentials

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

func TestOptionsDefaults(t *testing.T) {
	var o Options
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		t.Fatal(errs)
	}
	want := Options{
		CredentialsSecret: "velero-cloud-credentials", CredentialsKey: "cloud", VeleroNamespace: "velero",
		PasswordSecretPrefix: "clusterbackup-repo-password-", ClusterSecretPrefix: "clusterbackup-credentials-", ResyncPeriod: duration.Of(5 * time.Minute), Workers: 4,
		ControllerName: "cluster-credentials",
	}
	if o != want {
		t.Fatalf("Default() = %+v\nwant %+v", o, want)
	}
	f := want
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse([]string{"--credentials-loop", "--credentials-resync-period=1m"}); err != nil {
		t.Fatal(err)
	}
	want.Enabled, want.ResyncPeriod = true, duration.Of(time.Minute)
	if f != want {
		t.Fatalf("flags = %+v\nwant %+v", f, want)
	}
	for name, bad := range map[string]struct {
		o    Options
		path string
	}{
		"short period":                      {Options{ResyncPeriod: duration.Of(time.Millisecond)}, "resyncPeriod"},
		"Velero's password name":            {Options{CredentialsSecret: RepoSecret}, "credentialsSecret"},
		"one prefix for keys and passwords": {Options{ClusterSecretPrefix: "clusterbackup-x-", PasswordSecretPrefix: "clusterbackup-x-"}, "clusterSecretPrefix"},
	} {
		bad.o.Default()
		if errs := bad.o.Validate(nil); len(errs) != 1 || errs[0].Field != bad.path {
			t.Errorf("%s: Validate = %v, want one error on %s", name, errs, bad.path)
		}
	}
}

func TestNewPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		pw, err := NewPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 43 || strings.ContainsAny(string(pw), "+/=\n") {
			t.Fatalf("password %d characters, or not base64url", len(pw))
		}
		if seen[string(pw)] {
			t.Fatal("a password repeated")
		}
		seen[string(pw)] = true
	}
}
