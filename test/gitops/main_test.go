package gitopstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// binDir holds the clusterbackup binary built for these tests; it is put on
// PATH for kustomize's exec function.
var binDir string

// binary returns the built clusterbackup binary.
func binary() string { return filepath.Join(binDir, "clusterbackup") }

func TestMain(m *testing.M) {
	os.Exit(mainWithBinary(m))
}

func mainWithBinary(m *testing.M) int {
	dir, err := os.MkdirTemp("", "clusterbackup-gitops-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	cmd := exec.Command("go", "build", "-o", binary(), "./cmd/clusterbackup")
	cmd.Dir = testenv.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/clusterbackup: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}
