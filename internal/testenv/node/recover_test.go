package node

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestRecoverDeadRun: what a node run killed before its teardown leaves is
// gone after recoverDeadRun, the step New runs once it holds the node lock,
// and the next start's precondition (nothing mounted on the kubelet root)
// holds again; a process whose id the record names but which runs another
// command line is not touched. No component starts: the leftovers are made
// by the harness's own code, recording as a run records (setupNetwork, run
// with sleep as the "kubelet" and the enforcer, mountKubeletRoot on a
// temporary kubelet root), plus what the components would add (a KUBE-*
// chain jumped to from FORWARD, an enforcer ipset, a pod network namespace,
// a pod volume mount, a changed kernel tunable) and the images of its test
// process, gone too; then the "run" is dropped without Stop.
func TestRecoverDeadRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestRecoverDeadRun must run as root (CI does): it mounts and changes the network as the node harness does")
	}
	ipBin, sleepBin := lookPath(t, "ip"), lookPath(t, "sleep")
	// The leftovers use the node's network names: wait for any node
	// harness running to finish, as Start does.
	lock, err := lockNode()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unlockNode(lock) })
	t.Setenv("CLUSTERBACKUP_KEEP_NODE", "")

	tmp := t.TempDir()
	state := filepath.Join(tmp, "state.json")
	dir := filepath.Join(tmp, "run")           // the run's Dir
	root := filepath.Join(tmp, "kubelet-root") // KubeletRootDir; the run creates it
	for _, d := range []string{filepath.Join(dir, "kubelet"), filepath.Join(dir, "containerd")} {
		testenv.Must(t, os.MkdirAll(d, 0o755))
	}
	const tunable = "/proc/sys/kernel/keys/root_maxkeys" // one of componentSysctls
	oldTunable := readTrim(t, tunable)
	netnsBefore := netnsSet()
	podNS := "cni-cbtest-" + strconv.Itoa(os.Getpid())
	const chain, set = "KUBE-CBTEST-LEFTOVER", "KUBE-SRC-CBTESTLEFTOVER"

	// The test's own net, should recovery fail: the same teardown.
	var orphans []*proc
	var other *exec.Cmd
	t.Cleanup(func() {
		for _, p := range orphans {
			p.stop(5 * time.Second)
		}
		if other != nil {
			_ = other.Process.Kill()
			_ = other.Wait()
		}
		_ = unmountUnder(root, dir)
		teardownNetwork(ipBin, &netState{Sysctls: map[string]string{tunable: oldTunable}, NetnsBefore: netnsBefore})
	})

	// A process gone: the run's owner, and a recorded component.
	gone := exec.Command(lookPath(t, "true"))
	testenv.Must(t, gone.Run())
	rec, err := newRecorder(state, dir, filepath.Join(dir, "containerd", "containerd.sock"))
	testenv.Must(t, err)
	rec.rec.Owner = gone.Process.Pid
	images := filepath.Join(tmp, "images")
	testenv.Must(t, os.MkdirAll(images, 0o755))
	testenv.Must(t, os.WriteFile(filepath.Join(images, "pause.tar"), []byte("tar"), 0o600))
	testenv.Must(t, rec.images(images))
	n := &Node{Dir: dir, paths: map[string]string{"ip": ipBin, "kubelet": sleepBin, netpolTool: sleepBin}, procs: map[string]*proc{}, kubeletRoot: root, rec: rec}
	n.net, err = setupNetwork(ipBin, n.rec.network)
	testenv.Must(t, err)
	testenv.Must(t, n.run("kubelet", []string{"3600"}))
	testenv.Must(t, n.run(netpolTool, []string{"3599"}))
	kubelet, enforcer := n.procs["kubelet"], n.procs[netpolTool]
	orphans = append(orphans, kubelet, enforcer)
	testenv.Must(t, n.mountKubeletRoot(filepath.Join(dir, "kubelet")))
	// The kubelet's pod volume and containerd's snapshot mounts.
	for _, m := range []string{filepath.Join(root, "pods", "uid-1", "volumes", "data"), filepath.Join(dir, "containerd", "snapshot")} {
		testenv.Must(t, os.MkdirAll(m, 0o755))
		testenv.Must(t, syscall.Mount("tmpfs", m, "tmpfs", 0, "size=1m"))
	}
	for _, args := range [][]string{
		{ipBin, "netns", "add", podNS},
		{"iptables", "-N", chain},
		{"iptables", "-A", "FORWARD", "-j", chain},
		{"ipset", "create", set, "hash:ip"},
	} {
		_, err := testenv.Run(args[0], args[1:]...)
		testenv.Must(t, err)
	}
	testenv.Must(t, os.WriteFile(tunable, []byte(strconv.Itoa(atoi(t, oldTunable)+1)), 0o644))
	// An id the record names, now another program's; and one gone.
	other = exec.Command(sleepBin, "3601")
	testenv.Must(t, other.Start())
	testenv.Must(t, rec.proc("etcd", other.Process.Pid, []string{"/usr/local/bin/etcd", "--data-dir=" + filepath.Join(dir, "etcd")}))
	testenv.Must(t, rec.proc("kube-apiserver", gone.Process.Pid, gone.Args))

	// The run dies here. Before the change, the next start stopped at its
	// precondition: the kubelet root is mounted.
	if _, err := mountKubeletDir(filepath.Join(dir, "kubelet"), root, noRecord); err == nil || !strings.Contains(err.Error(), "already mounted") {
		t.Fatalf("with a dead run's mounts, the kubelet root's precondition: got %v, want an \"already mounted\" error", err)
	}

	start := time.Now()
	line, err := recoverDeadRun(state, n.paths)
	if err != nil {
		t.Fatalf("recoverDeadRun: %v", err)
	}
	t.Logf("recovery took %s: %s", time.Since(start).Round(time.Millisecond), line)

	for _, want := range []string{"kubelet " + strconv.Itoa(kubelet.cmd.Process.Pid), "left alone etcd's id " + strconv.Itoa(other.Process.Pid)} {
		if !strings.Contains(line, want) {
			t.Errorf("the recovery's line %q does not say %q", line, want)
		}
	}
	// The enforcer is killed: its own cleanup doubles the filter table's
	// rules (Stop).
	for p, sig := range map[*proc]syscall.Signal{kubelet: syscall.SIGTERM, enforcer: syscall.SIGKILL} {
		select {
		case <-p.done:
			if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != sig {
				t.Errorf("the recorded %s ended with %v, want the recovery's %v", p.name, p.cmd.ProcessState, sig)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("the recorded %s (%d) still runs", p.name, p.cmd.Process.Pid)
		}
	}
	// Not a zombie: had the recovery signalled it, it would be one by now
	// (the teardown waits for what it kills; nobody reaps this child).
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(other.Process.Pid) + "/stat"); err != nil || bytes.Contains(stat, []byte(") Z ")) {
		t.Errorf("the unrelated process under a recorded id was killed: %s %v", stat, err)
	}
	if m := mountsUnder(root); len(m) > 0 {
		t.Errorf("still mounted under the kubelet root: %v", m)
	}
	for _, p := range []string{root, dir, state, images} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	if netnsSet()[podNS] {
		t.Errorf("network namespace %s is still there", podNS)
	}
	if _, err := os.Stat("/sys/class/net/" + bridgeDev); err == nil {
		t.Errorf("bridge %s is still there", bridgeDev)
	}
	if out, _ := testenv.Run(ipBin, "-4", "addr", "show", "dev", "lo"); bytes.Contains(out, []byte(" "+IP+"/32")) {
		t.Errorf("%s is still on lo", IP)
	}
	if out, _ := testenv.Run("iptables", "-S"); bytes.Contains(out, []byte(chain)) || bytes.Contains(out, []byte(isolateComment)) {
		t.Errorf("iptables still has the chain %s or the pod isolation rule:\n%s", chain, out)
	}
	if out, _ := testenv.Run("ipset", "list", "-n"); bytes.Contains(out, []byte(set)) {
		t.Errorf("ipset %s is still there", set)
	}
	if got := readTrim(t, tunable); got != oldTunable {
		t.Errorf("%s = %s, want it put back to %s", tunable, got, oldTunable)
	}
	// The next start passes its precondition.
	testenv.Must(t, os.MkdirAll(filepath.Join(tmp, "next"), 0o755))
	if _, err := mountKubeletDir(filepath.Join(tmp, "next"), root, noRecord); err != nil {
		t.Errorf("after the recovery the next start's kubelet root: %v", err)
	}
	testenv.Must(t, unmountUnder(root))
	// Nothing recorded any more: a second start finds nothing to undo.
	if line, err := recoverDeadRun(state, n.paths); line != "" || err != nil {
		t.Errorf("a second recovery: %q, %v; want nothing", line, err)
	}
}

func noRecord(string, bool) error { return nil }

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	testenv.Must(t, err)
	return p
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	testenv.Must(t, err)
	return strings.TrimSpace(string(b))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	testenv.Must(t, err)
	return v
}
