package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

func writeCheckFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkCBSL(endpoint, bucket, extra string) string {
	return fmt.Sprintf(`apiVersion: kubermatic.k8c.io/v1
kind: ClusterBackupStorageLocation
metadata:
  name: loc
  namespace: kubermatic
  labels:
    project-id: p1
spec:
  objectStorage:
    bucket: %s
    prefix: seed-eu
  config:
    region: us-east-1
    s3Url: %s
%s  credential:
    name: loc-credentials
    key: cloud
`, bucket, endpoint, extra)
}

func checkSecret(ak, sk string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: loc-credentials
  namespace: kubermatic
  labels:
    project-id: p1
stringData:
  cloud: |
    [default]
    aws_access_key_id=%s
    aws_secret_access_key=%s
`, ak, sk)
}

// TestCheckCommand runs `clusterbackup check` against a real versitygw.
func TestCheckCommand(t *testing.T) {
	s := s3env.Start(t)
	if err := s.CreateBucket(context.Background(), "backups"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cbsl := writeCheckFile(t, dir, "cbsl.yaml", checkCBSL(s.Endpoint, "backups", ""))
	good := writeCheckFile(t, dir, "secret.yaml", checkSecret(s.RootAccessKey, s.RootSecretKey))
	const wrong = "not-the-secret-0Kq9zv"
	bad := writeCheckFile(t, dir, "wrong.yaml", checkSecret(s.RootAccessKey, wrong))
	missing := writeCheckFile(t, dir, "missing.yaml", checkCBSL(s.Endpoint, "no-such-bucket", ""))
	invalid := writeCheckFile(t, dir, "invalid.yaml", checkCBSL(s.Endpoint, "backups", "    endpoint: x\n"))
	both := writeCheckFile(t, dir, "both.yaml", checkCBSL(s.Endpoint, "backups", "")+"---\n"+checkSecret(s.RootAccessKey, s.RootSecretKey))

	cases := map[string]struct {
		args []string
		code int
		want []string
	}{
		"reachable":        {[]string{"-f", cbsl, "-f", good, "--allow-cidr", "127.0.0.1", "--budget", "20s"}, 0, []string{"clusterbackupstoragelocation kubermatic/loc", "validation:   ok", "reachability: OK"}},
		"one file":         {[]string{"-f", both, "--allow-cidr", "127.0.0.1/32", "--budget", "20s"}, 0, []string{"reachability: OK"}},
		"wrong secret key": {[]string{"-f", cbsl, "-f", bad, "--allow-cidr", "127.0.0.1"}, 1, []string{"FAILED (AccessDenied)", "access denied (HTTP 403, SignatureDoesNotMatch)"}},
		"missing bucket":   {[]string{"-f", missing, "-f", good, "--allow-cidr", "127.0.0.1"}, 1, []string{"FAILED (NoSuchBucket)"}},
		"default policy":   {[]string{"-f", cbsl, "-f", good}, 1, []string{"FAILED (EndpointDenied)", "loopback address (allowlist it to permit)"}},
		"invalid":          {[]string{"-f", invalid, "-f", good}, 1, []string{"validation:   1 error(s)", "unknown config key", "reachability: not checked"}},
		"no secret":        {[]string{"-f", cbsl, "--allow-cidr", "127.0.0.1"}, 1, []string{`spec.credential.name: Not found: "loc-credentials": no secret kubermatic/loc-credentials`}},
		"no files":         {[]string{}, 2, []string{"give the input files with -f"}},
		"bad cidr":         {[]string{"-f", cbsl, "--allow-cidr", "300.1.1.1"}, 2, []string{"invalid address"}},
		"deny cidr wins":   {[]string{"-f", cbsl, "-f", good, "--allow-cidr", "127.0.0.1", "--deny-cidr", "10.96.0.0/12", "--deny-cidr", "127.0.0.0/30"}, 1, []string{"FAILED (EndpointDenied)", "in the denied range 127.0.0.0/30"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", nil, append([]string{"check"}, tc.args...)...)
			all := out + errOut
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, secret := range []string{s.RootSecretKey, wrong} {
				if strings.Contains(all, secret) {
					t.Fatalf("output leaks a secret:\n%s", all)
				}
			}
		})
	}
}
