package node

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// nodePackages are the Debian packages the node harness needs; `make
// node-deps` installs the missing ones.
const nodePackages = "containerd runc containernetworking-plugins iptables conntrack ipset"

// cniDir is where Debian's containernetworking-plugins installs the plugins.
const cniDir = "/usr/lib/cni"

// nodeTools are the hack/tools.sh tools the node harness runs.
var nodeTools = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kube-router-netpol"}

// nodePrereqs returns the paths of every node component, or one error that
// lists everything missing with the command that installs it.
func nodePrereqs() (map[string]string, error) {
	paths := map[string]string{}
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "the node harness must run as root (it mounts, creates interfaces and iptables rules)")
	}
	var tools []string
	for _, n := range nodeTools {
		p, err := testenv.Tool(n)
		if err != nil {
			tools = append(tools, n)
			continue
		}
		paths[n] = p
	}
	if len(tools) > 0 {
		missing = append(missing, fmt.Sprintf("%s not built; run `hack/tools.sh install %s` (or `make tools`)", strings.Join(tools, ", "), strings.Join(tools, " ")))
	}
	var pkgs []string
	for _, n := range []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc", "iptables", "ip6tables", "iptables-save", "conntrack", "ipset", "ip", "mount"} {
		p, err := exec.LookPath(n)
		if err != nil {
			pkgs = append(pkgs, n)
			continue
		}
		paths[n] = p
	}
	for _, n := range []string{"bridge", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(cniDir, n)); err != nil {
			pkgs = append(pkgs, filepath.Join(cniDir, n))
		}
	}
	if len(pkgs) > 0 {
		missing = append(missing, fmt.Sprintf("%s missing; run `make node-deps` (apt-get install -y %s)", strings.Join(pkgs, ", "), nodePackages))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("testenv: the node harness cannot start:\n  - %s", strings.Join(missing, "\n  - "))
	}
	return paths, nil
}
