package node

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// proc is one long-running component of the node harness, started in its
// own process group with its output in a log file.
type proc struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
}

// startProc starts bin with args, logging to dir/<name>.log.
func startProc(dir, name, bin string, args []string, env []string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(p.done) }()
	return p, nil
}

// exited reports whether the process has stopped.
func (p *proc) exited() bool { return testenv.Closed(p.done) }

// stop sends SIGTERM and waits up to grace, then kills the process by its id.
func (p *proc) stop(grace time.Duration) {
	if p == nil {
		return
	}
	testenv.StopProcess(p.cmd, p.done, grace)
}

// logTail returns the last n lines of the process's log.
func (p *proc) logTail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	return testenv.Tail(string(b), n)
}
