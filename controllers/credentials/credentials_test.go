package credentials

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{}.Complete()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		CredentialsSecret: "velero-cloud-credentials", CredentialsKey: "cloud", VeleroNamespace: "velero",
		PasswordSecretPrefix: "clusterbackup-repo-password-", ClusterSecretPrefix: "clusterbackup-credentials-", ResyncPeriod: 5 * time.Minute, Workers: 4,
		ControllerName: "cluster-credentials",
	}
	if o != want {
		t.Fatalf("Complete() = %+v\nwant %+v", o, want)
	}
	var f Options
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse([]string{"--credentials-loop", "--credentials-resync-period=1m"}); err != nil {
		t.Fatal(err)
	}
	want.Enabled, want.ResyncPeriod, want.ControllerName = true, time.Minute, ""
	if f != want {
		t.Fatalf("flags = %+v\nwant %+v", f, want)
	}
	for name, bad := range map[string]Options{
		"short period":                      {ResyncPeriod: time.Millisecond},
		"Velero's password name":            {CredentialsSecret: RepoSecret},
		"one prefix for keys and passwords": {ClusterSecretPrefix: "clusterbackup-x-", PasswordSecretPrefix: "clusterbackup-x-"},
	} {
		if _, err := bad.Complete(); err == nil {
			t.Errorf("%s: Complete accepted %+v", name, bad)
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
