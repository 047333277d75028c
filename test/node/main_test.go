package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
)

// TestMain makes the clients log API warnings (e.g. the webhook's) to
// stderr, stops the node the tests shared, and removes the images the
// nodes used once every test ran.
func TestMain(m *testing.M) {
	logf.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, nil)))
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintf(os.Stderr, "node teardown left something behind: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	node.RemoveBuiltImages()
	os.Exit(code)
}

// shared is the node the package's tests share (see nodeFor).
var shared struct {
	mu   sync.Mutex
	node *node.Node
}

// nodeFor returns the package's node: started by the first test that
// needs one, and brought back to its start state after each test
// (node.Node.Reset: namespaces, cluster-scoped objects and local volumes
// the test created are deleted), so the package pays one node start
// instead of one per test. When a reset fails the node is stopped and the
// next test starts a new one. Tests of this package must not start nodes of
// their own: the node harness holds a machine-wide lock
// (TestOneNodePerPackage).
func nodeFor(t *testing.T) *node.Node {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.node == nil {
		n, err := node.New(node.Options{})
		if err != nil {
			if n != nil {
				t.Logf("node logs (tails):\n%s", n.LogTails(40))
				_ = n.Stop()
			}
			t.Fatal(err)
		}
		shared.node = n
		figure(t, "node start (to Ready, images imported)", n.Started)
	}
	n := shared.node
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node logs (tails):\n%s", n.LogTails(25))
		}
		start := time.Now()
		if err := n.Reset(context.Background(), 3*time.Minute); err != nil {
			t.Errorf("node reset: %v (the next test starts a new node)", err)
			if err := stopShared(); err != nil {
				t.Errorf("node teardown left something behind: %v", err)
			}
			return
		}
		figure(t, "node reset for the next test", time.Since(start))
		t.Logf("node reset steps: %v", n.ResetSteps)
	})
	return n
}

// stopShared stops the shared node, if one runs.
func stopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.node == nil {
		return nil
	}
	errs := shared.node.Stop()
	shared.node = nil
	return errors.Join(errs...)
}

// TestOneNodePerPackage: no test of this package starts a node of its own
// (node.Start or NewNode): the shared node holds the machine-wide
// node lock, so a second start would wait for it until the lock times out.
func TestOneNodePerPackage(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files found: %v", err)
	}
	for _, f := range files {
		if f == "main_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{"node.Start(", "node.New("} {
			if strings.Contains(string(b), call) {
				t.Errorf("%s calls %s: use nodeFor(t), the package's shared node", f, call)
			}
		}
	}
}
