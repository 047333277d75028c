package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Versions of the tools the tests use; hack/tools.sh holds the same table.
var Versions = map[string]string{
	"etcd":                    "v3.7.0",
	"kube-apiserver":          "v1.37.2",
	"kube-controller-manager": "v1.37.2",
	"kube-scheduler":          "v1.37.2",
	"kubelet":                 "v1.37.2",
	"kube-proxy":              "v1.37.2",
	"versitygw":               "v1.8.0",
	"helm":                    "v3.22.0",
	"kustomize":               "v5.8.2",
	"kubeconform":             "v0.8.0",
	"controller-gen":          "v0.23.0",
	"velero":                  "v1.18.3",
	"velero-plugin-for-aws":   "v1.14.3",
	"velero-restore-helper":   "v1.18.3",
	"golangci-lint":           "v2.15.0",
	"kube-router-netpol":      "v2.1.0",
}

// RepoRoot returns the repository's root directory: the nearest directory
// above the working directory (a test's package directory) whose go.mod
// declares this module. It does not use the source file's path, so test
// binaries built with -trimpath (as `make test` builds them) find it too.
func RepoRoot() string {
	repoRootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			panic(fmt.Sprintf("testenv: working directory: %v", err))
		}
		for d := dir; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/clusterbackup/clusterbackup\n") {
				repoRoot = d
				return
			}
			if filepath.Dir(d) == d {
				panic("testenv: no go.mod of module github.com/clusterbackup/clusterbackup above " + dir)
			}
		}
	})
	return repoRoot
}

var (
	repoRootOnce sync.Once
	repoRoot     string
)

// CacheDir returns the directory hack/tools.sh builds into.
func CacheDir() string {
	if d := os.Getenv("CLUSTERBACKUP_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "clusterbackup")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "clusterbackup")
}

// Tool returns the path of a cached tool binary, or an error that says how to
// install it.
func Tool(name string) (string, error) {
	v, ok := Versions[name]
	if !ok {
		return "", fmt.Errorf("testenv: unknown tool %q", name)
	}
	p := filepath.Join(CacheDir(), name+"-"+v, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s %s is not installed at %s; install it with `hack/tools.sh install %s` (or `make tools`)", name, v, p, name)
	}
	return p, nil
}

// MustTool is Tool for tests: a missing tool fails the test, never skips it.
func MustTool(t TB, name string) string {
	t.Helper()
	p, err := Tool(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TB is the subset of testing.TB the helpers need.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// Run runs a command and returns its combined output, with the command line in
// the error.
func Run(name string, args ...string) ([]byte, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out, nil
}
