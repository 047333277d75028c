package rollout_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// logFile collects the controllers' logs; a failing test prints its tail.
var logFile *os.File

func TestMain(m *testing.M) {
	f, err := os.CreateTemp("", "rollout-test-*.log")
	if err != nil {
		panic(err)
	}
	logFile = f
	logf.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(f, nil)))
	code := m.Run()
	_ = f.Close()
	_ = os.Remove(f.Name())
	os.Exit(code)
}

// logTail prints the controllers' log tail when t failed.
func logTail(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			lines := strings.Split(testenv.Tail(string(b), 60), "\n")
			for i, l := range lines {
				if len(l) > 400 {
					lines[i] = l[:400] + "..."
				}
			}
			t.Logf("controllers log (tail):\n%s", strings.Join(lines, "\n"))
		}
	})
}
