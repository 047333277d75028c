package credentials

import (
	"os"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// logs captures every line of controller-runtime's global logger (the
// loop's, the webhooks', the manager's) at verbosity 10, for the leak scan.
var logs *testenv.SyncBuffer

func TestMain(m *testing.M) {
	logs = testenv.CaptureLogs()
	os.Exit(m.Run())
}
