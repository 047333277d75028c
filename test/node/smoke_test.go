package node

import (
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

func TestNodeSmoke(t *testing.T) {
	n := testenv.StartNode(t, testenv.NodeOptions{})
	t.Logf("node %s Ready in %s: %v", n.Name, n.Started, n.Phases)
}
