package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderSharedCredentials: clusters whose CBSL credential is shared get a
// warning on stderr, and --require-dedicated-credentials turns it into an
// error with nothing on stdout. The secret key never appears.
func TestRenderSharedCredentials(t *testing.T) {
	dir := t.TempDir()
	fleet, err := filepath.Glob(filepath.Join("..", "..", "examples", "fleet", "*.yaml"))
	if err != nil || len(fleet) == 0 {
		t.Fatalf("example fleet: %v", err)
	}
	for _, f := range fleet {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const secretKey = "s3cr3t-never-printed"
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: backups-eu-credentials\n  namespace: kubermatic\n  labels:\n    project-id: jnpllgp66z\nstringData:\n  cloud: |\n    [default]\n    aws_access_key_id=AKIASHARED\n    aws_secret_access_key=" + secretKey + "\n"
	if err := os.WriteFile(filepath.Join(dir, "secret.yaml"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := runCLI(t, "", nil, "render", "-f", dir)
	if code != 0 || stdout == "" {
		t.Fatalf("render with a shared credential: code=%d stderr=%s", code, stderr)
	}
	if !strings.Contains(stderr, "warning: access key AKIASHARED is shared by clusters r7tqz9d2wk, xkc6lgmfsn") {
		t.Fatalf("stderr lacks the shared-credential warning: %q", stderr)
	}

	// --summary repeats the warning after the manifests.
	_, stderr, code = runCLI(t, "", nil, "render", "--summary", "-f", dir)
	if code != 0 || !strings.Contains(stderr, "warnings: 1\n  access key AKIASHARED is shared by clusters r7tqz9d2wk, xkc6lgmfsn") {
		t.Fatalf("--summary lacks the warning: code=%d stderr=%q", code, stderr)
	}

	stdout, stderr, code = runCLI(t, "", nil, "render", "--require-dedicated-credentials", "-f", dir)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "--require-dedicated-credentials: access key AKIASHARED") {
		t.Fatalf("--require-dedicated-credentials: code=%d stdout=%d bytes stderr=%q", code, len(stdout), stderr)
	}
	if strings.Contains(stderr, secretKey) {
		t.Fatal("the secret key leaked into stderr")
	}

	// Without the Secret among the inputs nothing can be said: no warning.
	if err := os.Remove(filepath.Join(dir, "secret.yaml")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCLI(t, "", nil, "render", "--require-dedicated-credentials", "-f", dir)
	if code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("no Secrets: code=%d stderr=%q", code, stderr)
	}
}
