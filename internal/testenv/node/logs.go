package node

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// podLogsDir is where the kubelet writes container logs
// (<namespace>_<pod>_<uid>/<container>/<restart>.log), inside Dir.
func (n *Node) podLogsDir() string { return filepath.Join(n.Dir, "pod-logs") }

// ContainerLogTails returns the last lines of every container log of the
// pods in namespace ns (current and earlier restarts), for failure messages.
func (n *Node) ContainerLogTails(ns string, lines int) string {
	files, _ := filepath.Glob(filepath.Join(n.podLogsDir(), ns+"_*", "*", "*.log"))
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		ls := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(ls) > lines {
			ls = ls[len(ls)-lines:]
		}
		rel, _ := filepath.Rel(n.podLogsDir(), f)
		fmt.Fprintf(&b, "--- %s\n%s\n", rel, strings.Join(ls, "\n"))
	}
	return b.String()
}

// LogTails returns the last lines of every component's log.
func (n *Node) LogTails(lines int) string {
	var b strings.Builder
	for _, name := range n.order {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", name, n.procs[name].logPath, n.procs[name].logTail(lines))
	}
	return b.String()
}
