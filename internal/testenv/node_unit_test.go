package testenv

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
