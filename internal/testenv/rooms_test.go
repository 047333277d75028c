package testenv_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestRoomsImportDownward: each room of the test kit imports only the
// packages of this module its doc names, so the core stays light and no
// room points back up at another or at a package under test. A new room
// must be added here with its rule.
func TestRoomsImportDownward(t *testing.T) {
	const module = "github.com/clusterbackup/clusterbackup/"
	allowed := map[string][]string{
		".":         {"webhook/testcert"},
		"kubeenv":   {"internal/testenv", "api/v1"},
		"s3env":     {"internal/testenv", "api/v1", "examples", "internal/input", "internal/storage"},
		"veleroenv": {"internal/testenv", "api/v1"},
		"node":      {"internal/testenv", "internal/testenv/kubeenv"},
		"browser":   {"internal/testenv"},
		"fixtures":  {"api/v1"},
	}
	dir := filepath.Join(testenv.RepoRoot(), "internal", "testenv")
	entries, err := os.ReadDir(dir)
	testenv.Must(t, err)
	rooms := []string{"."}
	for _, e := range entries {
		if e.IsDir() {
			rooms = append(rooms, e.Name())
		}
	}
	sort.Strings(rooms)
	for _, room := range rooms {
		rule, ok := allowed[room]
		if !ok {
			t.Errorf("internal/testenv/%s is a room with no import rule; add it to TestRoomsImportDownward and its doc", room)
			continue
		}
		ok2 := map[string]bool{}
		for _, p := range rule {
			ok2[module+p] = true
		}
		files, err := filepath.Glob(filepath.Join(dir, room, "*.go"))
		testenv.Must(t, err)
		if len(files) == 0 {
			t.Errorf("internal/testenv/%s holds no Go file", room)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			testenv.Must(t, err)
			for _, imp := range parsed.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(p, module) && !ok2[p] {
					rel, _ := filepath.Rel(dir, f)
					t.Errorf("internal/testenv/%s imports %s; the room %q may import only %v of this module", rel, strings.TrimPrefix(p, module), room, rule)
				}
			}
		}
	}
}
