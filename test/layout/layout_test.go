// Package layout holds a test that keeps the project's maps honest: every
// Go package of the module is named in the README's layout table or in
// docs/architecture.md, so neither goes stale as folders come and go.
package layout

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// skipped are folders that hold no package of the module (other modules,
// generated or test data).
var skipped = map[string]bool{"hack": true, "bin": true, ".git": true, "testdata": true, "node_modules": true}

// TestDocsNameEveryPackage: each folder with Go files is named in README.md
// or docs/architecture.md, by its path ("controllers/rollout") or, on the
// line of its parent folder, by its name in backticks ("`rollout`").
func TestDocsNameEveryPackage(t *testing.T) {
	root := testenv.RepoRoot()
	var docs []string
	for _, f := range []string{"README.md", "docs/architecture.md"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, strings.Split(string(b), "\n")...)
	}
	pkgs := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (skipped[d.Name()] || (p != root && fileExists(filepath.Join(p, "go.mod")))) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			if rel, _ := filepath.Rel(root, filepath.Dir(p)); rel != "." {
				pkgs[filepath.ToSlash(rel)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages under %s: %v", len(pkgs), root, pkgs)
	}
	var missing []string
	for p := range pkgs {
		if !named(docs, p) {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		t.Errorf("package %s is named neither in README.md's layout nor in docs/architecture.md", p)
	}
}

// named reports whether a doc line names package p.
func named(lines []string, p string) bool {
	parent, base := filepath.Dir(p), filepath.Base(p)
	for _, l := range lines {
		if strings.Contains(l, p+"/") || strings.Contains(l, "`"+p+"`") || strings.Contains(l, p+"`") {
			return true
		}
		if parent != "." && strings.Contains(l, parent+"/") && strings.Contains(l, "`"+base+"`") {
			return true
		}
	}
	return false
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
