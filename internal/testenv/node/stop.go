package node

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Stop tears the node down in dependency order: the NetworkPolicy enforcer
// (killed; its rules and ipsets go with the network), kube-proxy and
// kubelet, every container (through containerd), containerd, the
// controllers, kube-apiserver before etcd (it hangs once etcd is gone),
// then mounts, network namespaces, iptables chains and ipsets, the bridge
// and the lo address, and last the run's record (record.go). It returns
// what it could not clean up; calling it again is harmless.
func (n *Node) Stop() []error {
	var errs []error
	n.StopSteps = nil
	t0 := time.Now()
	step := func(what string) {
		n.StopSteps = append(n.StopSteps, Phase{what, time.Since(t0)})
	}
	// The enforcer first, killed: its own cleanup on SIGTERM (kube-router's
	// Cleanup) restores the filter table from a buffer it does not reset,
	// doubling every rule outside its chains (the pod isolation rule went
	// from 1 to 2 at its exit; 511 copies had piled up). The network
	// teardown sweeps its chains and ipsets instead.
	n.procs[netpolTool].kill()
	step(netpolTool)
	for _, name := range []string{"kube-proxy", "kubelet"} {
		n.procs[name].stop(15 * time.Second)
		step(name)
	}
	if p := n.procs["containerd"]; p != nil && !p.exited() {
		if err := n.killContainers(); err != nil {
			errs = append(errs, err)
		}
		step("containers")
	}
	for _, name := range []string{"containerd", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"} {
		n.procs[name].stop(10 * time.Second)
		step(name)
	}
	if n.mounted {
		if err := unmountUnder(n.kubeletRoot); err != nil {
			errs = append(errs, err)
		}
		n.mounted = false
	}
	if err := unmountUnder(n.Dir); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, teardownNetwork(n.paths["ip"], n.net)...)
	n.net = nil
	if n.createdKD {
		if err := os.Remove(n.kubeletRoot); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
		n.createdKD = false
	}
	if len(errs) == 0 && os.Getenv("CLUSTERBACKUP_KEEP_NODE") == "" {
		if err := os.RemoveAll(n.Dir); err != nil {
			errs = append(errs, err)
		}
	}
	// The record goes once nothing is left (the next Start retries
	// otherwise), and only from the first Stop: the lock goes with it.
	if n.rec != nil {
		if len(errs) == 0 {
			if err := n.rec.remove(); err != nil {
				errs = append(errs, err)
			}
		}
		n.rec = nil
	}
	unlockNode(n.lock)
	n.lock = nil
	return errs
}

// killContainers kills and deletes every task and container containerd runs
// for the node, so no shim or pod process outlives the test.
func (n *Node) killContainers() error {
	out, err := n.ctr("tasks", "ls", "-q")
	if err != nil {
		return err
	}
	ids := strings.Fields(string(out))
	var errs []error
	for _, id := range ids {
		if _, err := n.ctr("tasks", "kill", "--signal", "SIGKILL", id); err != nil {
			errs = append(errs, err)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, err := n.ctr("tasks", "ls")
		if err != nil || !strings.Contains(string(out), "RUNNING") {
			break
		}
	}
	for _, id := range ids {
		if _, err := n.ctr("tasks", "delete", id); err != nil {
			errs = append(errs, err)
		}
	}
	if out, err := n.ctr("containers", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(string(out)) {
			_, _ = n.ctr("containers", "delete", id)
		}
	}
	if out, _ := n.ctr("tasks", "ls", "-q"); len(strings.TrimSpace(string(out))) > 0 {
		return fmt.Errorf("containerd tasks left: %s: %w", out, errors.Join(errs...))
	}
	return nil
}

// lockNode takes the machine-wide node lock: the kubelet root and IP are
// fixed, so one node runs at a time. It waits up to 15 minutes for another.
func lockNode() (*os.File, error) { return testenv.LockMachine("node", 15*time.Minute) }

func unlockNode(f *os.File) { testenv.UnlockMachine(f) }
