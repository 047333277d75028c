package testenv

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

// ServingCert issues a serving certificate for dnsNames from the node's CA
// (e.g. a webhook Service's <name>.<namespace>.svc) and returns the CA, the
// certificate and its key in PEM.
func (n *Node) ServingCert(name string, dnsNames ...string) (caPEM, certPEM, keyPEM []byte, err error) {
	certPEM, keyPEM, err = n.pki.issue("serving-"+name, certOptions{CN: dnsNames[0], DNS: dnsNames, Server: true})
	return n.pki.caPEM, certPEM, keyPEM, err
}
