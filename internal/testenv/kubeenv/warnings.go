package kubeenv

import (
	"context"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Warnings records the admission warnings a client receives
// (rest.WarningHandlerWithContext); safe for concurrent use.
type Warnings struct {
	mu   sync.Mutex
	text []string
}

// HandleWarningHeaderWithContext records a warning
// (rest.WarningHandlerWithContext).
func (w *Warnings) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, text string) {
	w.mu.Lock()
	w.text = append(w.text, text)
	w.mu.Unlock()
}

// String returns every warning so far, one per line.
func (w *Warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.text, "\n")
}

// Take returns every warning so far, one per line, and forgets them.
func (w *Warnings) Take() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.Join(w.text, "\n")
	w.text = nil
	return s
}

// WarningClient returns a client for cfg (with Scheme) that records the
// admission warnings it receives in the returned Warnings.
func WarningClient(t testenv.TB, cfg *rest.Config) (client.Client, *Warnings) {
	t.Helper()
	w := &Warnings{}
	c := rest.CopyConfig(cfg)
	c.WarningHandlerWithContext = w
	cl, err := client.New(c, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatalf("kubeenv: client recording warnings: %v", err)
	}
	return cl, w
}
