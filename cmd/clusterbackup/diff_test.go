package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// switchedFleet writes a copy of the example fleet in which cluster
// r7tqz9d2wk moved to a new CBSL backups-eu-2 (same bucket, other prefix),
// and returns the folder and the old CBSL's file.
func switchedFleet(t *testing.T) (dir, oldCBSL string) {
	t.Helper()
	src := filepath.Join(testenv.RepoRoot(), "examples", "fleet")
	dir = t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "cluster-r7tqz9d2wk.yaml" {
			b = []byte(strings.Replace(string(b), "name: backups-eu", "name: backups-eu-2", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if e.Name() == "cbsl-backups-eu.yaml" {
			nb := strings.Replace(strings.Replace(string(b), "name: backups-eu\n", "name: backups-eu-2\n", 1), "prefix: seed-eu", "prefix: seed-eu-2", 1)
			if err := os.WriteFile(filepath.Join(dir, "cbsl-backups-eu-2.yaml"), []byte(nb), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, filepath.Join(src, "cbsl-backups-eu.yaml")
}

func writeBackups(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "backups.yaml")
	doc := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: velero.io/v1\n  kind: Backup\n  metadata: {name: nightly-1, namespace: velero}\n  spec: {storageLocation: default}\n"
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDiffTransitions(t *testing.T) {
	from := filepath.Join(t.TempDir(), "a")
	if _, stderr, code := runCLI(t, "", nil, "render", "-o", from); code != 0 {
		t.Fatalf("render: %d %s", code, stderr)
	}
	fleet := filepath.Join(testenv.RepoRoot(), "examples", "fleet")
	switched, oldCBSL := switchedFleet(t)
	backups := writeBackups(t)

	tests := map[string]struct {
		args     []string
		code     int
		contains []string
		absent   []string
	}{
		"same render": {
			args:     []string{"-f", fleet},
			contains: []string{"cluster r7tqz9d2wk:\n0 created, 0 changed, 0 removed, 0 dangerous"},
		},
		"switch with the old location kept read-only": {
			args: []string{"-f", switched, "--previous", oldCBSL, "--backups", backups},
			contains: []string{
				"+ velero.io/BackupStorageLocation velero/previous-backups-eu",
				"~ velero.io/BackupStorageLocation velero/default (spec.objectStorage.prefix)",
				"1 created, 2 changed, 0 removed, 0 dangerous",
			},
		},
		"switch without the old location": {
			args:     []string{"-f", switched, "--backups", backups},
			code:     1,
			contains: []string{"! dangerous: velero.io/BackupStorageLocation velero/default: the BSL moves away from bucket kkp-backups at https://s3.eu.example.com:443 prefix \"seed-eu/jnpllgp66z/r7tqz9d2wk\", which still holds 1 backup(s) (nightly-1)"},
		},
		"disable": {
			args:     []string{"-f", fleet, "--disable", "--backups", backups},
			contains: []string{"- apps/Deployment velero/velero", "- apps/DaemonSet velero/node-agent", "~ velero.io/BackupStorageLocation velero/default (metadata.annotations.clusterbackup.io/lifecycle, spec.accessMode)", "0 dangerous"},
			absent:   []string{"- apiextensions.k8s.io/CustomResourceDefinition", "- velero.io/BackupStorageLocation", "- Namespace"},
		},
		"purge is refused": {
			args:     []string{"-f", fleet, "--disable", "--purge", "--backups", backups},
			code:     1,
			contains: []string{"! dangerous: apiextensions.k8s.io/CustomResourceDefinition backups.velero.io", "! dangerous: velero.io/BackupStorageLocation velero/default: the BSL still has 1 backup(s)", "! dangerous: Namespace velero"},
		},
		"purge allowed": {
			args:     []string{"-f", fleet, "--disable", "--purge", "--allow-removal"},
			contains: []string{"! dangerous: apiextensions.k8s.io/CustomResourceDefinition backups.velero.io"},
		},
		"dir to dir": {
			args:     []string{"--to", from},
			contains: []string{"0 created, 0 changed, 0 removed, 0 dangerous"},
		},
		"a cluster dropped from the fleet": {
			args: []string{"-f", filepath.Join(fleet, "cbsl-backups-eu.yaml"), "-f", filepath.Join(fleet, "cluster-r7tqz9d2wk.yaml"), "-f", filepath.Join(fleet, "cbsl-team-b.yaml"), "-f", filepath.Join(fleet, "cluster-m2vd8s5ptc.yaml")},
			code: 1,
			contains: []string{
				"cluster xkc6lgmfsn:\n- apiextensions.k8s.io/CustomResourceDefinition backuprepositories.velero.io",
				"! dangerous: Namespace velero: deleting the namespace",
				"cluster r7tqz9d2wk:\n0 created, 0 changed, 0 removed, 0 dangerous",
			},
		},
		"no from":           {args: []string{"-f", fleet, "--from", ""}, code: 2},
		"both to and f":     {args: []string{"-f", fleet, "--to", from}, code: 2},
		"purge needs off":   {args: []string{"-f", fleet, "--purge"}, code: 2},
		"lifecycle with to": {args: []string{"--to", from, "--disable"}, code: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "", nil, append([]string{"diff", "--from", from}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.contains {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, no := range tc.absent {
				if strings.Contains(stdout, no) {
					t.Errorf("stdout holds %q:\n%s", no, stdout)
				}
			}
			if tc.code == 1 && !strings.Contains(stderr, "refusing a change that would lose backups") {
				t.Errorf("stderr: %s", stderr)
			}
		})
	}
}

// TestDiffReadsJSONRenders: a render written with --format json (v1 Lists)
// compares equal to the same inputs rendered now.
func TestDiffReadsJSONRenders(t *testing.T) {
	from := filepath.Join(t.TempDir(), "json")
	if _, stderr, code := runCLI(t, "", nil, "render", "-o", from, "--format", "json"); code != 0 {
		t.Fatalf("render: %d %s", code, stderr)
	}
	_, stderr, code := runCLI(t, "", nil, "diff", "--from", from)
	if code != 2 || !strings.Contains(stderr, "give exactly one of --to and -f") {
		t.Fatalf("diff without a new render: exit %d, %s", code, stderr)
	}
	stdout, stderr, code := runCLI(t, "", nil, "diff", "--from", from, "-f", filepath.Join(testenv.RepoRoot(), "examples", "fleet"))
	if code != 0 || strings.Count(stdout, "0 created, 0 changed, 0 removed, 0 dangerous") != 3 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
