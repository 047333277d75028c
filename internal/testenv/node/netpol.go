package node

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// The node's NetworkPolicy enforcer is kube-router's network policy
// controller alone (hack/tools/kube-router-netpol, no routing, no service
// proxy): the bridge CNI enforces no NetworkPolicy. It programs the filter
// table (chains KUBE-ROUTER-INPUT/FORWARD/OUTPUT, KUBE-POD-FW-*,
// KUBE-NWPLCY-*; physdev matches for bridged traffic) and ipsets
// (KUBE-SRC-*, KUBE-DST-*). Every Pod's traffic runs through a chain of its
// own; a Pod no policy selects through the default chain, which accepts.
const (
	netpolTool = "kube-router-netpol"
	// netpolSetPrefixes are the prefixes of the enforcer's ipsets.
	netpolSetPrefixes = "KUBE-SRC- KUBE-DST-"
)

// startNetpol starts the enforcer with the admin kubeconfig once the node
// is registered (it reads the node's InternalIP) and kube-proxy has hooked
// its chains in, and waits until the enforcer's top-level chains are hooked
// into INPUT, FORWARD and OUTPUT with kube-proxy's still in place. Both
// write the filter table's FORWARD chain: started together, kube-proxy's
// first sync failed ("RULE_INSERT failed ... rule in chain FORWARD") and
// pods could not reach the kubernetes Service.
func (n *Node) startNetpol() error {
	if err := n.waitFor("kube-proxy's rules", time.Minute, kubeProxyHooked); err != nil {
		return err
	}
	if err := n.run(netpolTool, []string{
		"--kubeconfig=" + n.Kubeconfig, "--hostname-override=" + n.Name,
		"--service-cluster-ip-range=" + ServiceCIDR,
	}); err != nil {
		return err
	}
	return n.waitFor("NetworkPolicy enforcer", time.Minute, func() error {
		out, err := testenv.Run("iptables", "-S")
		if err != nil {
			return err
		}
		for _, c := range []string{"INPUT", "FORWARD", "OUTPUT"} {
			if !bytes.Contains(out, []byte("-A "+c+" ")) || !bytes.Contains(out, []byte("-j KUBE-ROUTER-"+c)) {
				return fmt.Errorf("no jump from %s to KUBE-ROUTER-%s yet", c, c)
			}
		}
		return kubeProxyHooked()
	})
}

// kubeProxyHooked reports whether kube-proxy's chains are hooked in: the
// filter table's FORWARD jumps to KUBE-FORWARD and the nat table's
// PREROUTING to KUBE-SERVICES.
func kubeProxyHooked() error {
	for _, c := range []struct{ table, chain, jump string }{{"filter", "FORWARD", "KUBE-FORWARD"}, {"nat", "PREROUTING", "KUBE-SERVICES"}} {
		out, err := testenv.Run("iptables", "-t", c.table, "-S", c.chain)
		if err != nil {
			return err
		}
		if !bytes.Contains(out, []byte("-j "+c.jump)) {
			return fmt.Errorf("no jump from %s %s to %s yet", c.table, c.chain, c.jump)
		}
	}
	return nil
}

// PolicyEnforced reports whether the enforcer runs the traffic of Pod
// ns/name through the NetworkPolicy policy (of its namespace): the Pod's
// own firewall chain (every Pod on the node has one; a Pod no policy
// selects runs through the default chain, which accepts) jumps to the
// policy's chain.
func (n *Node) PolicyEnforced(ns, name, policy string) (bool, error) {
	out, err := testenv.Run("iptables-save", "-t", "filter")
	if err != nil {
		return false, err
	}
	return policyEnforced(string(out), ns, name, policy), nil
}

// policyEnforced is PolicyEnforced on the output of iptables-save.
func policyEnforced(save, ns, name, policy string) bool {
	marker := "rule to jump traffic from POD name:" + name + " namespace: " + ns + " to chain "
	chain := ""
	lines := strings.Split(save, "\n")
	for _, line := range lines {
		if i := strings.Index(line, marker); i >= 0 {
			chain = strings.TrimRight(strings.Fields(line[i+len(marker):])[0], `"`)
			break
		}
	}
	if chain == "" {
		return false
	}
	for _, line := range lines {
		if strings.HasPrefix(line, "-A "+chain+" ") && strings.Contains(line, `--comment "run through nw policy `+policy+`"`) {
			return true
		}
	}
	return false
}

// destroyNetpolSets destroys the enforcer's ipsets (after its iptables
// rules are gone: a set in use cannot be destroyed).
func destroyNetpolSets() error {
	out, err := testenv.Run("ipset", "list", "-n")
	if err != nil {
		return nil //nolint:nilerr // no ipset binary or module: nothing of ours there
	}
	var errs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		set := strings.TrimSpace(sc.Text())
		for _, p := range strings.Fields(netpolSetPrefixes) {
			if strings.HasPrefix(set, p) {
				if _, err := testenv.Run("ipset", "destroy", set); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("destroy the NetworkPolicy enforcer's ipsets: %s", strings.Join(errs, "; "))
	}
	return nil
}
