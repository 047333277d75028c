package node

import (
	"log/slog"
	"os"
	"testing"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestMain makes the clients log API warnings (e.g. the webhook's) to
// stderr, and removes the images the nodes shared once every test ran.
func TestMain(m *testing.M) {
	logf.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, nil)))
	code := m.Run()
	testenv.RemoveBuiltImages()
	os.Exit(code)
}
