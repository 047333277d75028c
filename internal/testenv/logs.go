package testenv

import (
	"fmt"

	"github.com/go-logr/logr/funcr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// CaptureLogs sets controller-runtime's global logger (the one every
// manager, webhook and controller of the test process logs through) to
// write each line at verbosity 10 into the returned buffer, so tests can
// prove what a log does not contain. Call it once, from TestMain.
func CaptureLogs() *SyncBuffer {
	b := &SyncBuffer{}
	logf.SetLogger(funcr.New(func(prefix, args string) {
		fmt.Fprintln(b, prefix, args)
	}, funcr.Options{Verbosity: 10}))
	return b
}
