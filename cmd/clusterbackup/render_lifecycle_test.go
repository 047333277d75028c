//go:build !webhookonly

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestRenderLifecycle: render writes the same life-cycle renders diff -f
// compares against, so the operator applies what diff approved.
func TestRenderLifecycle(t *testing.T) {
	fleet := filepath.Join(testenv.RepoRoot(), "examples", "fleet")
	switched, oldCBSL := switchedFleet(t)
	backups := writeBackups(t)
	plain := filepath.Join(t.TempDir(), "plain")
	if _, stderr, code := runCLI(t, "", nil, "render", "-o", plain); code != 0 {
		t.Fatalf("render: %d %s", code, stderr)
	}

	t.Run("switch", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "switch")
		if _, stderr, code := runCLI(t, "", nil, "render", "-f", switched, "--previous", oldCBSL, "-o", dir); code != 0 {
			t.Fatalf("render: %d %s", code, stderr)
		}
		moved := readFile(t, filepath.Join(dir, "r7tqz9d2wk", renderFile+".yaml"))
		for _, want := range []string{"name: previous-backups-eu", "clusterbackup.io/previous-location: \"true\"", "accessMode: ReadOnly", `prefix: "seed-eu/jnpllgp66z/r7tqz9d2wk"`, `prefix: "seed-eu-2/jnpllgp66z/r7tqz9d2wk"`} {
			if !strings.Contains(moved, want) {
				t.Errorf("the switched cluster's render lacks %q", want)
			}
		}
		// xkc6lgmfsn still uses backups-eu, and m2vd8s5ptc is in another project.
		for _, id := range []string{"xkc6lgmfsn", "m2vd8s5ptc"} {
			if got := readFile(t, filepath.Join(dir, id, renderFile+".yaml")); strings.Contains(got, "clusterbackup.io/previous-location: \"true\"") {
				t.Errorf("cluster %s got a previous location it never used", id)
			}
		}
		stdout, stderr, code := runCLI(t, "", nil, "diff", "--from", plain, "--to", dir, "--backups", backups)
		if code != 0 || !strings.Contains(stdout, "+ velero.io/BackupStorageLocation velero/previous-backups-eu") {
			t.Fatalf("diff plain → switch: exit %d\n%s\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, "", nil, "diff", "--from", dir, "-f", switched, "--previous", oldCBSL)
		if code != 0 || strings.Count(stdout, "0 created, 0 changed, 0 removed, 0 dangerous") != 3 {
			t.Fatalf("diff -f with the same flags is not empty: exit %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("disable", func(t *testing.T) {
		out, stderr, code := runCLI(t, "", nil, "render", "-f", fleet, "--disable")
		if code != 0 {
			t.Fatalf("render --disable: %d %s", code, stderr)
		}
		for _, want := range []string{"kind: CustomResourceDefinition", "kind: Namespace", "accessMode: ReadOnly", "clusterbackup.io/lifecycle: disabled"} {
			if !strings.Contains(out, want) {
				t.Errorf("disabled render lacks %q", want)
			}
		}
		for _, no := range []string{"kind: Deployment", "kind: DaemonSet"} {
			if strings.Contains(out, no) {
				t.Errorf("disabled render still holds %q", no)
			}
		}
	})

	t.Run("purge", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "purge")
		if _, stderr, code := runCLI(t, "", nil, "render", "--disable", "--purge", "-o", dir); code != 0 {
			t.Fatalf("render --purge: %d %s", code, stderr)
		}
		for _, id := range []string{"r7tqz9d2wk", "xkc6lgmfsn", "m2vd8s5ptc"} {
			for _, f := range []string{crdsFile, renderFile} {
				if got := readFile(t, filepath.Join(dir, id, f+".yaml")); strings.TrimSpace(got) != "" {
					t.Errorf("purged %s/%s.yaml is not empty:\n%.200s", id, f, got)
				}
			}
		}
		stdout, stderr, code := runCLI(t, "", nil, "diff", "--from", plain, "--to", dir, "--backups", backups)
		if code != 1 || !strings.Contains(stdout, "! dangerous: apiextensions.k8s.io/CustomResourceDefinition backups.velero.io") {
			t.Fatalf("diff plain → purge: exit %d, want 1 (refused)\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("bad flags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"render", "--purge"}, 2, "--purge needs --disable"},
			{[]string{"render", "--previous", filepath.Join(t.TempDir(), "missing.yaml")}, 1, "--previous"},
			{[]string{"diff", "--from", plain, "--to", plain, "--overlay", "air-gap", "--disable"}, 2, "--disable, --overlay only apply with -f"},
		} {
			_, stderr, code := runCLI(t, "", nil, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("%v: exit %d, want %d with %q; stderr:\n%s", tc.args, code, tc.code, tc.msg, stderr)
			}
		}
	})
}

// TestDiffRendersLikeRender: diff -f takes render's flags, so a render made
// with an overlay and values compares equal to the same inputs and flags.
func TestDiffRendersLikeRender(t *testing.T) {
	vf := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(vf, []byte("server:\n  resources:\n    limits: {memory: 1Gi}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--overlay", "hardened", "--values", vf, "--registry", "mirror.example"}
	dir := filepath.Join(t.TempDir(), "r")
	if _, stderr, code := runCLI(t, "", nil, append([]string{"render", "-o", dir}, flags...)...); code != 0 {
		t.Fatalf("render: %d %s", code, stderr)
	}
	fleet := filepath.Join(testenv.RepoRoot(), "examples", "fleet")
	stdout, stderr, code := runCLI(t, "", nil, append([]string{"diff", "--from", dir, "-f", fleet}, flags...)...)
	if code != 0 || strings.Count(stdout, "0 created, 0 changed, 0 removed, 0 dangerous") != 3 {
		t.Fatalf("same flags: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, _, code = runCLI(t, "", nil, "diff", "--from", dir, "-f", fleet)
	if code != 0 || strings.Contains(stdout, "0 created, 0 changed, 0 removed") {
		t.Fatalf("without the flags the diff should list changes: exit %d\n%s", code, stdout)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
