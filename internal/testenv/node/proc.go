package node

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// adoptProc takes over process pid of a dead run, recorded as component
// name with command line cmdline and logging to dir/<name>.log, so the
// teardown stops it as one it started: done closes once the process is
// gone (or a zombie). ok is false when pid runs no such command line any
// more (gone, or the id reused by another program): that process is
// never signalled.
func adoptProc(dir, name string, pid int, cmdline []string) (p *proc, ok bool) {
	if !runs(pid, cmdline) {
		return nil, false
	}
	// On Linux FindProcess holds a pidfd: signals reach this process even
	// should the id be reused while the teardown runs.
	osp, err := os.FindProcess(pid)
	if err != nil {
		return nil, false
	}
	p = &proc{name: name, logPath: filepath.Join(dir, name+".log"), cmd: &exec.Cmd{Process: osp}, done: make(chan struct{})}
	go func() {
		for runs(pid, cmdline) {
			time.Sleep(50 * time.Millisecond)
		}
		close(p.done)
	}()
	return p, true
}

// runs reports whether process pid is alive (not a zombie) with command
// line cmdline.
func runs(pid int, cmdline []string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 || string(b) != strings.Join(cmdline, "\x00")+"\x00" {
		return false // gone, a zombie (empty command line), or another program
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": the state follows the last ')'.
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return false
	}
	return true
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

// kill kills the process (SIGKILL), leaving it no cleanup of its own, and
// waits until it is gone.
func (p *proc) kill() {
	if p == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// logTail returns the last n lines of the process's log.
func (p *proc) logTail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	return testenv.Tail(string(b), n)
}
