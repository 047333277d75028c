package node

import (
	"log/slog"
	"os"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// The clients log API warnings (e.g. the webhook's) to stderr.
func init() {
	logf.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, nil)))
}
