package node

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitRule(t *testing.T) {
	got := splitRule(`INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS`)
	want := []string{"INPUT", "-m", "comment", "--comment", "kubernetes health check service ports", "-j", "KUBE-NODEPORTS"}
	if !slices.Equal(got, want) {
		t.Fatalf("splitRule = %q, want %q", got, want)
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/kubelet":         "/var/lib/kubelet",
		`/tmp/with\040space/x`:     "/tmp/with space/x",
		`/tmp/tab\011and\134slash`: "/tmp/tab\tand\\slash",
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNodePrereqsNamesInstallCommands(t *testing.T) {
	t.Setenv("CLUSTERBACKUP_CACHE", t.TempDir())
	_, err := nodePrereqs()
	if err == nil {
		t.Fatal("nodePrereqs with an empty tool cache: no error")
	}
	for _, want := range []string{"hack/tools.sh install etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kube-router-netpol"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name %q", err, want)
		}
	}
}

// TestPolicyEnforced reads kube-router's rules as iptables-save prints
// them: a pod whose chain runs through the policy, one whose chain runs
// through the default chain only (no policy selects it), an unknown pod.
func TestPolicyEnforced(t *testing.T) {
	save := `*filter
:KUBE-POD-FW-AAA - [0:0]
:KUBE-POD-FW-BBB - [0:0]
-A KUBE-ROUTER-FORWARD -s 198.18.1.9/32 -m comment --comment "rule to jump traffic from POD name:db namespace: drill-1 to chain KUBE-POD-FW-AAA" -j KUBE-POD-FW-AAA
-A KUBE-ROUTER-FORWARD -s 198.18.1.5/32 -m comment --comment "rule to jump traffic from POD name:db namespace: shop to chain KUBE-POD-FW-BBB" -j KUBE-POD-FW-BBB
-A KUBE-POD-FW-AAA -m comment --comment "run through nw policy clusterbackup-drill-deny-all" -j KUBE-NWPLCY-XYZ
-A KUBE-POD-FW-BBB -s 198.18.1.5/32 -m comment --comment "run through default egress network policy chain" -j KUBE-NWPLCY-DEFAULT
COMMIT
`
	for _, c := range []struct {
		ns, pod, policy string
		want            bool
	}{
		{"drill-1", "db", "clusterbackup-drill-deny-all", true},
		{"drill-1", "db", "other", false},
		{"shop", "db", "clusterbackup-drill-deny-all", false},
		{"drill-2", "db", "clusterbackup-drill-deny-all", false},
	} {
		if got := policyEnforced(save, c.ns, c.pod, c.policy); got != c.want {
			t.Errorf("policyEnforced(%s/%s, %s) = %v, want %v", c.ns, c.pod, c.policy, got, c.want)
		}
	}
}
