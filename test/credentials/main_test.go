package credentials

import (
	"fmt"
	"os"
	"testing"

	"github.com/go-logr/logr/funcr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// logs captures every line of controller-runtime's global logger (the
// loop's, the webhooks', the manager's) at verbosity 10, for the leak scan.
var logs testenv.SyncBuffer

func TestMain(m *testing.M) {
	logf.SetLogger(funcr.New(func(prefix, args string) {
		fmt.Fprintln(&logs, prefix, args)
	}, funcr.Options{Verbosity: 10}))
	os.Exit(m.Run())
}
