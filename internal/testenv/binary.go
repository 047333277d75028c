package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary builds the clusterbackup command once per test process and returns
// its path, for tests that run it the way users and GitOps tools do.
func Binary(t TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "clusterbackup-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "clusterbackup")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/clusterbackup/clusterbackup/cmd/clusterbackup")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/clusterbackup: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// Eventually polls cond every 250ms until it returns true, and fails the test
// with what and cond's last error when timeout passes.
func Eventually(t TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	EventuallyEvery(t, timeout, 250*time.Millisecond, what, cond)
}

// EventuallyEvery is Eventually polling every poll, for waits on a cache
// or a local server that answers within milliseconds.
func EventuallyEvery(t TB, timeout, poll time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		time.Sleep(poll)
	}
	t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, last)
}

// RunBinary runs the clusterbackup command (Binary) with args and returns
// its stdout, stderr and exit code; a command that cannot start fails t.
func RunBinary(t TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return RunBinaryIn(t, "", "", nil, args...)
}

// RunBinaryIn is RunBinary in directory dir ("" for the current one), with
// stdin and extra environment variables ("NAME=value").
func RunBinaryIn(t TB, dir, stdin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(Binary(t), args...)
	cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, strings.NewReader(stdin), &out, &errOut
	cmd.Env = append(os.Environ(), env...)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("clusterbackup %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}
