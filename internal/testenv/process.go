package testenv

import (
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// StopProcess ends a started cmd: SIGTERM, up to grace for done (closed once
// its Wait returned), then a kill by its process id. A process that never
// started or has already exited is left alone.
func StopProcess(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	if cmd == nil || cmd.Process == nil || Closed(done) {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Closed reports whether done is closed, i.e. the process has exited.
func Closed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// Tail returns the last n lines of s (a log), without its trailing newlines.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
