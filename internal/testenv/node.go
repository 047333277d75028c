package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultNodeRegistry is the registry of the images a node imports unless
// NodeOptions.Registry says otherwise; the tests render with it as
// --registry, so the air-gap override is what pulls the images.
const DefaultNodeRegistry = "registry.airgap.internal"

// Phase is one milestone of a node start.
type Phase struct {
	// Name says what was done.
	Name string
	// At is the time since the start.
	At time.Duration
}

// NodeOptions configure a single-node Kubernetes.
type NodeOptions struct {
	// Name is the node's name. Default "cbnode".
	Name string
	// Registry is the registry of the images built and imported.
	// Default DefaultNodeRegistry.
	Registry string
	// APIServerArgs are extra kube-apiserver flags ("--name=value").
	// Default none.
	APIServerArgs []string
}

// Node is a running single-node Kubernetes v1.37: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd, kubelet and
// kube-proxy, on the test-only network of node_net.go, with every state
// under Dir (the kubelet's through a bind mount on KubeletRootDir).
type Node struct {
	// Name is the node's name.
	Name string
	// Dir holds every component's state, configuration and log.
	Dir string
	// Config and Client act as cluster admin (system:masters).
	Config *rest.Config
	Client client.Client
	// Kubeconfig is the admin kubeconfig file (for kubectl by hand).
	Kubeconfig string
	// Images are the images imported into containerd, by short name.
	Images map[string]Image
	// Registry is the registry of Images.
	Registry string
	// Started is how long the start took (to node Ready, images imported).
	Started time.Duration
	// StopSteps are the teardown's steps, as durations since it began.
	StopSteps []Phase
	// Phases are the start's milestones (control plane ready, images built,
	// images imported, node Ready), as durations since the start.
	Phases []Phase

	paths     map[string]string
	pki       *pki
	procs     map[string]*proc
	order     []string
	net       *netState
	sock      string
	lock      *os.File
	etcdURL   string
	imagesDir string
	createdKD bool
	mounted   bool
}

// StartNode starts a node and tears it down when the test ends: a missing
// component fails the test with the command that installs it; nothing is
// skipped. The teardown stops every process it started, kills the
// containers, unmounts, and removes the network changes, so a failed test
// leaves the machine usable.
func StartNode(t TB, o NodeOptions) *Node {
	t.Helper()
	n, err := NewNode(o)
	if n != nil {
		t.Cleanup(func() {
			if f, ok := t.(interface{ Failed() bool }); ok && f.Failed() {
				t.Logf("node logs (tails):\n%s", n.LogTails(25))
			}
			stopStart := time.Now()
			if errs := n.Stop(); len(errs) > 0 {
				t.Fatalf("node teardown left something behind: %v", errors.Join(errs...))
			}
			t.Logf("node teardown took %s: %v", time.Since(stopStart).Round(10*time.Millisecond), n.StopSteps)
		})
	}
	if err != nil {
		if n != nil {
			t.Logf("node logs (tails):\n%s", n.LogTails(40))
		}
		t.Fatal(err)
	}
	return n
}

// NewNode starts a node; the caller must call Stop, also when it returns an
// error together with a non-nil Node.
func NewNode(o NodeOptions) (*Node, error) {
	start := time.Now()
	if o.Name == "" {
		o.Name = "cbnode"
	}
	if o.Registry == "" {
		o.Registry = DefaultNodeRegistry
	}
	paths, err := nodePrereqs()
	if err != nil {
		return nil, err
	}
	lock, err := lockNode()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cbnode-")
	if err != nil {
		unlockNode(lock)
		return nil, err
	}
	n := &Node{Name: o.Name, Dir: dir, Registry: o.Registry, paths: paths, procs: map[string]*proc{}, lock: lock, sock: filepath.Join(dir, "containerd", "containerd.sock")}
	// Images build while the control plane starts.
	type built struct {
		dir string
		m   map[string]Image
		err error
	}
	images := make(chan built, 1)
	go func() {
		d, m, err := imagesOnce(o.Registry)
		images <- built{d, m, err}
	}()
	mark := func(what string) { n.Phases = append(n.Phases, Phase{what, time.Since(start)}) }
	if err := n.start(o); err != nil {
		<-images
		return n, err
	}
	mark("control plane and containerd ready")
	b := <-images
	if b.err != nil {
		return n, b.err
	}
	mark("images built")
	n.Images, n.imagesDir = b.m, b.dir
	if err := n.importImages(); err != nil {
		return n, err
	}
	mark("images imported")
	if err := n.startKubelet(); err != nil {
		return n, err
	}
	if err := n.waitReady(90 * time.Second); err != nil {
		return n, err
	}
	mark("node Ready")
	n.Started = time.Since(start)
	return n, nil
}

func (n *Node) start(o NodeOptions) error {
	pk, err := newPKI(filepath.Join(n.Dir, "pki"))
	if err != nil {
		return err
	}
	n.pki = pk
	if err := n.issueCerts(); err != nil {
		return err
	}
	if n.net, err = setupNetwork(n.paths["ip"]); err != nil {
		return fmt.Errorf("node network: %w", err)
	}
	if err := n.startEtcd(); err != nil {
		return err
	}
	if err := n.startAPIServer(o.APIServerArgs); err != nil {
		return err
	}
	if err := n.startControllers(); err != nil {
		return err
	}
	return n.startContainerd()
}

func (n *Node) apiURL() string { return "https://" + net.JoinHostPort(NodeIP, "6443") }

func (n *Node) issueCerts() error {
	pk := n.pki
	if _, _, err := pk.issue("apiserver", certOptions{CN: "kube-apiserver", Server: true,
		IPs: []net.IP{net.ParseIP(NodeIP), net.ParseIP("127.0.0.1"), net.ParseIP(kubeSvcIP)},
		DNS: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"}}); err != nil {
		return err
	}
	if _, _, err := pk.issue("kubelet", certOptions{CN: n.Name, Server: true, IPs: []net.IP{net.ParseIP(NodeIP)}, DNS: []string{n.Name}}); err != nil {
		return err
	}
	if _, _, err := pk.issue("apiserver-kubelet-client", certOptions{CN: "kube-apiserver-kubelet-client", Orgs: []string{"system:masters"}}); err != nil {
		return err
	}
	if err := pk.serviceAccountKey(); err != nil {
		return err
	}
	for _, k := range []struct{ name, user, group string }{
		{"admin", "clusterbackup-admin", "system:masters"},
		{"kubelet", "system:node:" + n.Name, "system:nodes"},
		{"controller-manager", "system:kube-controller-manager", ""},
		{"scheduler", "system:kube-scheduler", ""},
		{"kube-proxy", "system:kube-proxy", ""},
	} {
		var groups []string
		if k.group != "" {
			groups = []string{k.group}
		}
		// The kubelet's client cert must not overwrite its serving cert.
		name := k.name
		if name == "kubelet" {
			name = "kubelet-client"
		}
		if _, err := pk.kubeconfig(name, n.apiURL(), k.user, groups...); err != nil {
			return err
		}
	}
	n.Kubeconfig = pk.path("admin.kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", n.Kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 100, 200
	n.Config = cfg
	n.Client, err = client.New(cfg, client.Options{Scheme: Scheme()})
	return err
}

func (n *Node) run(name string, args []string, env ...string) error {
	p, err := startProc(n.Dir, name, n.paths[name], args, env)
	if err != nil {
		return err
	}
	n.procs[name] = p
	n.order = append(n.order, name)
	return nil
}

func (n *Node) startEtcd() error {
	cport, err := FreePort()
	if err != nil {
		return err
	}
	pport, err := FreePort()
	if err != nil {
		return err
	}
	client := "http://127.0.0.1:" + strconv.Itoa(cport)
	peer := "http://127.0.0.1:" + strconv.Itoa(pport)
	if err := n.run("etcd", []string{
		"--name=node", "--data-dir=" + filepath.Join(n.Dir, "etcd"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=node=" + peer, "--unsafe-no-fsync", "--log-level=warn",
	}); err != nil {
		return err
	}
	n.etcdURL = client
	return n.waitFor("etcd", 30*time.Second, func() error {
		resp, err := http.Get(client + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

func (n *Node) startAPIServer(extra []string) error {
	pk := n.pki
	args := []string{
		"--etcd-servers=" + n.etcdURL,
		"--bind-address=" + NodeIP, "--advertise-address=" + NodeIP, "--secure-port=6443",
		"--tls-cert-file=" + pk.path("apiserver.crt"), "--tls-private-key-file=" + pk.path("apiserver.key"),
		"--client-ca-file=" + pk.path("ca.crt"),
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pk.path("sa.pub"), "--service-account-signing-key-file=" + pk.path("sa.key"),
		"--authorization-mode=Node,RBAC", "--allow-privileged=true", "--anonymous-auth=false",
		"--enable-admission-plugins=NodeRestriction",
		"--kubelet-client-certificate=" + pk.path("apiserver-kubelet-client.crt"), "--kubelet-client-key=" + pk.path("apiserver-kubelet-client.key"),
		"--kubelet-preferred-address-types=InternalIP",
		"--profiling=false", "--event-ttl=1h",
	}
	if err := n.run("kube-apiserver", append(args, extra...)); err != nil {
		return err
	}
	return n.waitFor("kube-apiserver", 90*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		cs, err := kubernetes.NewForConfig(n.Config)
		if err != nil {
			return err
		}
		return cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
	})
}

func (n *Node) startControllers() error {
	pk := n.pki
	kcmPort, err := FreePort()
	if err != nil {
		return err
	}
	schedPort, err := FreePort()
	if err != nil {
		return err
	}
	kcm := pk.path("controller-manager.kubeconfig")
	if err := n.run("kube-controller-manager", []string{
		"--kubeconfig=" + kcm, "--authentication-kubeconfig=" + kcm, "--authorization-kubeconfig=" + kcm,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(kcmPort), "--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + pk.path("sa.key"), "--root-ca-file=" + pk.path("ca.crt"),
		"--controllers=*,-csrsigning",
	}); err != nil {
		return err
	}
	sched := pk.path("scheduler.kubeconfig")
	return n.run("kube-scheduler", []string{
		"--kubeconfig=" + sched, "--authentication-kubeconfig=" + sched, "--authorization-kubeconfig=" + sched,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(schedPort), "--leader-elect=false",
	})
}

func (n *Node) startContainerd() error {
	d := filepath.Join(n.Dir, "containerd")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	cni := filepath.Join(n.Dir, "cni")
	if err := cniConfig(cni); err != nil {
		return err
	}
	cfg := filepath.Join(d, "config.toml")
	if err := writeFile(cfg, containerdConfig(d, n.sock, n.Registry+"/clusterbackup/pause:3.10", cni)); err != nil {
		return err
	}
	if err := n.run("containerd", []string{"--config", cfg}); err != nil {
		return err
	}
	return n.waitFor("containerd", 30*time.Second, func() error {
		_, err := n.ctr("version")
		return err
	})
}

// ctr runs ctr against this node's containerd in the k8s.io namespace.
func (n *Node) ctr(args ...string) ([]byte, error) {
	return Run(n.paths["ctr"], append([]string{"--address", n.sock, "--namespace", "k8s.io"}, args...)...)
}

func (n *Node) importImages() error {
	for _, im := range n.Images {
		if _, err := n.ctr("images", "import", filepath.Join(n.imagesDir, im.File)); err != nil {
			return fmt.Errorf("import image %s: %w", im.Ref, err)
		}
	}
	return nil
}

func (n *Node) startKubelet() error {
	kdir := filepath.Join(n.Dir, "kubelet")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return err
	}
	created, err := mountKubeletDir(kdir)
	n.createdKD = created
	if err != nil {
		return err
	}
	n.mounted = true
	hz, err := FreePort()
	if err != nil {
		return err
	}
	cfg := filepath.Join(n.Dir, "kubelet-config.yaml")
	if err := writeFile(cfg, kubeletConfig(n.pki, n.sock, n.podLogsDir(), hz)); err != nil {
		return err
	}
	if err := n.run("kubelet", []string{
		"--config=" + cfg, "--kubeconfig=" + n.pki.path("kubelet-client.kubeconfig"),
		"--root-dir=" + KubeletRootDir, "--node-ip=" + NodeIP, "--hostname-override=" + n.Name,
	}); err != nil {
		return err
	}
	ph, err := FreePort()
	if err != nil {
		return err
	}
	pm, err := FreePort()
	if err != nil {
		return err
	}
	pcfg := filepath.Join(n.Dir, "kube-proxy-config.yaml")
	if err := writeFile(pcfg, kubeProxyConfig(n.pki.path("kube-proxy.kubeconfig"), n.Name, ph, pm)); err != nil {
		return err
	}
	return n.run("kube-proxy", []string{"--config=" + pcfg})
}

// waitReady waits for the node to be Ready and the default service account
// (the controller-manager's work) to exist.
func (n *Node) waitReady(timeout time.Duration) error {
	return n.waitFor("node Ready", timeout, func() error {
		ctx := context.Background()
		var node corev1.Node
		if err := n.Client.Get(ctx, client.ObjectKey{Name: n.Name}, &node); err != nil {
			return err
		}
		ready := false
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			return errors.New("node not Ready")
		}
		return n.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "default"}, &corev1.ServiceAccount{})
	})
}

// waitFor polls check until it passes, failing early when a component
// exited.
func (n *Node) waitFor(what string, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		for _, name := range n.order {
			if p := n.procs[name]; p.exited() {
				return fmt.Errorf("waiting for %s: %s exited:\n%s", what, name, p.logTail(30))
			}
		}
		if last = check(); last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %w", what, timeout, last)
}

// LogTails returns the last lines of every component's log.
func (n *Node) LogTails(lines int) string {
	var b strings.Builder
	for _, name := range n.order {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", name, n.procs[name].logPath, n.procs[name].logTail(lines))
	}
	return b.String()
}

// Stop tears the node down in dependency order: kube-proxy and kubelet, every
// container (through containerd), containerd, the controllers,
// kube-apiserver before etcd (it hangs once etcd is gone), then mounts,
// network namespaces, iptables chains, the bridge and the lo address. It
// returns what it could not clean up; calling it again is harmless.
func (n *Node) Stop() []error {
	var errs []error
	n.StopSteps = nil
	t0 := time.Now()
	step := func(what string) {
		n.StopSteps = append(n.StopSteps, Phase{what, time.Since(t0)})
	}
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
		if err := unmountUnder(KubeletRootDir); err != nil {
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
		if err := os.Remove(KubeletRootDir); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
		n.createdKD = false
	}
	if len(errs) == 0 && os.Getenv("CLUSTERBACKUP_KEEP_NODE") == "" {
		if err := os.RemoveAll(n.Dir); err != nil {
			errs = append(errs, err)
		}
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

// lockNode takes the machine-wide node lock: the kubelet root and NodeIP are
// fixed, so one node runs at a time. It waits up to 15 minutes for another.
func lockNode() (*os.File, error) {
	f, err := os.OpenFile("/run/clusterbackup-node.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(15 * time.Minute)
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return f, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, errors.New("testenv: another node harness held /run/clusterbackup-node.lock for 15 minutes")
		}
		time.Sleep(time.Second)
	}
}

func unlockNode(f *os.File) {
	if f != nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
}
