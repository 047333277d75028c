package layout

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// fileMapLine is a bullet of a package doc's file map: "  - a.go, b.go: what
// they hold".
var fileMapLine = regexp.MustCompile(`^\s*[-*] ((?:[a-z0-9_]+\.go(?:, )?)+):`)

// TestDocFileMapsMatchFolders: a package doc that maps its files ("  - a.go:
// ...") names every non-test Go file of its folder, and only files that
// exist, so the map a newcomer reads first cannot go stale.
func TestDocFileMapsMatchFolders(t *testing.T) {
	root := testenv.RepoRoot()
	maps := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (skipped[d.Name()] || (p != root && fileExists(filepath.Join(p, "go.mod")))) {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != "doc.go" {
			return nil
		}
		named, err := docFileMap(p)
		if err != nil || len(named) == 0 {
			return err
		}
		maps++
		dir, _ := filepath.Rel(root, filepath.Dir(p))
		files, err := goFiles(filepath.Dir(p))
		if err != nil {
			return err
		}
		for _, f := range files {
			if !named[f] {
				t.Errorf("%s/doc.go maps the package's files but does not name %s", dir, f)
			}
			delete(named, f)
		}
		for _, f := range sortedKeys(named) {
			t.Errorf("%s/doc.go names %s, which is not a Go file of the package", dir, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if maps < 2 {
		t.Fatalf("found %d package docs with a file map; expected at least renderer's and controllers/release's", maps)
	}
}

// docFileMap returns the file names a package doc's bullets name.
func docFileMap(path string) (map[string]bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil || f.Doc == nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, l := range strings.Split(f.Doc.Text(), "\n") {
		if m := fileMapLine.FindStringSubmatch(l); m != nil {
			for _, n := range strings.Split(m[1], ", ") {
				out[strings.TrimSpace(n)] = true
			}
		}
	}
	return out, nil
}

// goFiles returns the non-test Go files of dir other than doc.go.
func goFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && n != "doc.go" {
			out = append(out, n)
		}
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
