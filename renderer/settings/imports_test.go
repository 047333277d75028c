package settings

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsStayBelow: the settings package imports only the renderer and
// the pinned versions from this module, so the renderer's settings never
// point back up at the GitOps integrations, the commands or the seed's loops.
func TestImportsStayBelow(t *testing.T) {
	const module = "github.com/clusterbackup/clusterbackup/"
	allowed := map[string]bool{module + "renderer": true, module + "internal/versions": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, module) && !allowed[p] {
				t.Errorf("%s imports %s; renderer/settings may import only renderer and internal/versions", f, p)
			}
		}
	}
}
