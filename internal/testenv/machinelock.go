package testenv

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// LockMachine takes the machine-wide lock /run/clusterbackup-<name>.lock,
// for parts that use a fixed host resource (the node's kubelet root and
// addresses, the Velero server's fixed metrics port): test binaries of
// different packages, or of two checkouts, then take turns instead of
// failing each other. It waits up to wait for another holder. The lock is
// released with UnlockMachine, or when the process exits.
func LockMachine(name string, wait time.Duration) (*os.File, error) {
	path := "/run/clusterbackup-" + name + ".lock"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return f, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("testenv: another test process held %s for %s", path, wait)
		}
		time.Sleep(time.Second)
	}
}

// UnlockMachine releases a lock of LockMachine; nil is a no-op.
func UnlockMachine(f *os.File) {
	if f != nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
}
