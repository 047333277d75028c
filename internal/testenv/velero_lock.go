package testenv

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// veleroLock is the machine-wide lock of StartVelero: velero server binds
// its manager's metrics listener to the fixed :8080, so one Velero runs at
// a time, across test packages that `go test ./...` runs in parallel.
const veleroLock = "/run/clusterbackup-velero.lock"

// lockVelero takes veleroLock, waiting up to 15 minutes for another
// package's Velero to stop; the returned func releases it.
func lockVelero() (func(), error) {
	f, err := os.OpenFile(veleroLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(15 * time.Minute)
	for syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		if time.Now().After(deadline) {
			f.Close()
			return nil, errors.New("testenv: another Velero server held " + veleroLock + " for 15 minutes")
		}
		time.Sleep(time.Second)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
}
