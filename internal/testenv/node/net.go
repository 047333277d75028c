package node

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Node network: everything lives in 198.18.0.0/15, the range reserved for
// network benchmark tests (RFC 2544), so nothing collides with or is routed
// to a real network.
const (
	// IP is the node's address (a /32 on lo): kube-apiserver, kubelet
	// and test servers pods must reach (S3) listen here.
	IP = "198.18.0.1"
	// PodCIDR is the bridge subnet pods get addresses from; its first
	// address is the bridge (gateway).
	PodCIDR   = "198.18.1.0/24"
	podGW     = "198.18.1.1"
	bridgeDev = "cni0"
	// ServiceCIDR is the Service cluster IP range; its first address is the
	// kubernetes Service.
	ServiceCIDR = "198.18.2.0/24"
	kubeSvcIP   = "198.18.2.1"
	// isolateComment marks the iptables rule that keeps pod traffic on the
	// bridge (never forwarded off the machine).
	isolateComment = "clusterbackup-node: pod traffic stays on the bridge"
)

// netState is the host's network state before setupNetwork changed it, for
// the teardown (and the run record, record.go).
type netState struct {
	// Sysctls are the old values of the settings the node changes, by path.
	Sysctls map[string]string `json:"sysctls"`
	// NetnsBefore are the named network namespaces that existed.
	NetnsBefore map[string]bool `json:"netnsBefore"`
}

var nodeSysctls = []string{"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/bridge/bridge-nf-call-iptables"}

// componentSysctls are the host settings the kubelet (its kernel tunables)
// and kube-proxy change on start; they are saved first and put back at
// teardown, so the machine keeps its own values.
var componentSysctls = []string{
	"/proc/sys/vm/overcommit_memory", "/proc/sys/kernel/panic", "/proc/sys/kernel/panic_on_oops",
	"/proc/sys/kernel/keys/root_maxkeys", "/proc/sys/kernel/keys/root_maxbytes",
	"/proc/sys/net/ipv4/conf/all/route_localnet",
}

// setupNetwork puts IP on lo, creates the bridge with the pod gateway,
// routes ServiceCIDR onto it, enables forwarding and bridge netfilter, and
// drops any forwarded pod packet that would leave through another interface.
// It passes the state before any change to record first.
func setupNetwork(ip string, record func(*netState) error) (*netState, error) {
	s := &netState{Sysctls: map[string]string{}, NetnsBefore: netnsSet()}
	for _, p := range nodeSysctls {
		b, err := os.ReadFile(p)
		if err != nil {
			return s, fmt.Errorf("read %s (br_netfilter loaded?): %w", p, err)
		}
		s.Sysctls[p] = strings.TrimSpace(string(b))
	}
	for _, p := range componentSysctls {
		if b, err := os.ReadFile(p); err == nil {
			s.Sysctls[p] = strings.TrimSpace(string(b))
		}
	}
	if err := record(s); err != nil {
		return s, err
	}
	for _, p := range nodeSysctls {
		if err := os.WriteFile(p, []byte("1"), 0o644); err != nil {
			return s, fmt.Errorf("set %s: %w", p, err)
		}
	}
	for _, args := range [][]string{
		{"addr", "add", IP + "/32", "dev", "lo"},
		{"link", "add", bridgeDev, "type", "bridge"},
		{"addr", "add", podGW + "/24", "dev", bridgeDev},
		{"link", "set", bridgeDev, "up"},
		{"route", "add", ServiceCIDR, "dev", bridgeDev, "src", podGW},
	} {
		if _, err := testenv.Run(ip, args...); err != nil {
			return s, err
		}
	}
	if _, err := testenv.Run("iptables", "-I", "FORWARD", "1", "-s", PodCIDR, "!", "-o", bridgeDev, "-m", "comment", "--comment", isolateComment, "-j", "DROP"); err != nil {
		return s, err
	}
	return s, nil
}

// teardownNetwork undoes setupNetwork and removes what the components left:
// network namespaces created since setup, every KUBE-* iptables chain and the
// rules jumping to them (kube-proxy's, the kubelet's and the NetworkPolicy
// enforcer's: Stop kills it before it can clean up), the enforcer's ipsets. It
// returns every failure.
func teardownNetwork(ip string, s *netState) []error {
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if s == nil {
		return nil
	}
	for ns := range netnsSet() {
		if !s.NetnsBefore[ns] && strings.HasPrefix(ns, "cni-") {
			_, err := testenv.Run(ip, "netns", "delete", ns)
			note(err)
		}
	}
	// Every copy of the isolation rule: runs that died before their
	// teardown left theirs (this machine once held 510).
	for range 10000 {
		if _, err := testenv.Run("iptables", "-D", "FORWARD", "-s", PodCIDR, "!", "-o", bridgeDev, "-m", "comment", "--comment", isolateComment, "-j", "DROP"); err != nil {
			break
		}
	}
	for _, bin := range []string{"iptables", "ip6tables"} {
		note(flushKubeChains(bin))
	}
	note(destroyNetpolSets())
	if _, err := os.Stat("/sys/class/net/" + bridgeDev); err == nil {
		_, err := testenv.Run(ip, "link", "delete", bridgeDev)
		note(err)
	}
	if out, _ := testenv.Run(ip, "-4", "addr", "show", "dev", "lo"); bytes.Contains(out, []byte(" "+IP+"/32")) {
		_, err := testenv.Run(ip, "addr", "del", IP+"/32", "dev", "lo")
		note(err)
	}
	for p, v := range s.Sysctls {
		note(os.WriteFile(p, []byte(v), 0o644))
	}
	return errs
}

// netnsSet lists the named network namespaces (ip netns).
func netnsSet() map[string]bool {
	m := map[string]bool{}
	entries, _ := os.ReadDir("/var/run/netns")
	for _, e := range entries {
		m[e.Name()] = true
	}
	return m
}

// flushKubeChains deletes, in tables filter, nat and mangle, every rule that
// jumps to a KUBE-* chain and then every KUBE-* chain (what kube-proxy and
// kubelet create).
func flushKubeChains(bin string) error {
	for _, table := range []string{"filter", "nat", "mangle"} {
		out, err := testenv.Run(bin+"-save", "-t", table)
		if err != nil {
			continue // table or binary unavailable: nothing of ours there
		}
		var chains []string
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ":KUBE-"):
				chains = append(chains, strings.Fields(line[1:])[0])
			case strings.HasPrefix(line, "-A ") && !strings.HasPrefix(line, "-A KUBE-") && strings.Contains(line, "-j KUBE-"):
				args := append([]string{"-t", table, "-D"}, splitRule(line[3:])...)
				if _, err := testenv.Run(bin, args...); err != nil {
					return err
				}
			}
		}
		for _, c := range chains {
			_, _ = testenv.Run(bin, "-t", table, "-F", c)
		}
		for _, c := range chains {
			if _, err := testenv.Run(bin, "-t", table, "-X", c); err != nil {
				return err
			}
		}
	}
	return nil
}

// splitRule splits an iptables-save rule into arguments, keeping quoted
// comments together.
func splitRule(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
		case r == ' ' && !inQuote:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// cniConfig writes the bridge network configuration containerd loads.
func cniConfig(dir string) error {
	conf := fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "clusterbackup-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": %q,
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": %q, "gateway": %q}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": %q
      }
    }
  ]
}
`, bridgeDev, PodCIDR, podGW, filepath.Join(dir, "ipam"))
	if err := os.MkdirAll(filepath.Join(dir, "net.d"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "net.d", "10-clusterbackup.conflist"), []byte(conf), 0o644)
}
