package node

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// PodNetNS returns the network namespace of Pod ns/name as
// /proc/PID/ns/net of one of its running containers (found through
// containerd by the kubelet's labels): every container of a Pod shares it.
func (n *Node) PodNetNS(ns, name string) (string, error) {
	out, err := n.ctr("containers", "ls", "-q", fmt.Sprintf(`labels."io.kubernetes.pod.namespace"==%s,labels."io.kubernetes.pod.name"==%s`, ns, name))
	if err != nil {
		return "", fmt.Errorf("list the containers of pod %s/%s: %w", ns, name, err)
	}
	ids := map[string]bool{}
	for _, id := range strings.Fields(string(out)) {
		ids[id] = true
	}
	tasks, err := n.ctr("tasks", "ls")
	if err != nil {
		return "", fmt.Errorf("list containerd tasks: %w", err)
	}
	for _, line := range strings.Split(string(tasks), "\n") {
		f := strings.Fields(line) // TASK PID STATUS
		if len(f) == 3 && ids[f[0]] && f[2] == "RUNNING" {
			p := "/proc/" + f[1] + "/ns/net"
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("pod %s/%s has no running container", ns, name)
}

// DialFrom opens a TCP connection to addr (host:port, an IP) from inside
// the network namespace netns (PodNetNS), as a process of that Pod would,
// and closes it: nil when the connection was accepted. The dial runs on an
// OS thread of its own that switches namespace and is never reused (the
// goroutine ends locked, so the runtime discards the thread).
func DialFrom(netns, addr string, timeout time.Duration) error {
	f, err := os.Open(netns)
	if err != nil {
		return err
	}
	defer f.Close()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread leaves with the goroutine
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("enter network namespace %s: %w", netns, err)
			return
		}
		c, err := net.DialTimeout("tcp", addr, timeout)
		if err == nil {
			_ = c.Close()
		}
		done <- err
	}()
	return <-done
}
