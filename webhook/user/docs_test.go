package user_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// TestDocsListEveryPath keeps the path table of docs/webhook.md complete:
// every path the user-mode server registers is listed there.
func TestDocsListEveryPath(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "webhook.md"))
	testenv.Must(t, err)
	cfg := testConfig()
	testenv.Must(t, cfg.Complete())
	for path := range user.Handlers(&cfg, world(), nil) {
		if !strings.Contains(string(doc), "| `"+path+"` |") {
			t.Errorf("docs/webhook.md does not list the path %s in its table", path)
		}
	}
}
