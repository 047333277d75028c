package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// DefaultRegistry is the registry of the images a node imports unless
// Options.Registry says otherwise; the tests render with it as
// --registry, so the air-gap override is what pulls the images.
const DefaultRegistry = "registry.airgap.internal"

// Phase is one milestone of a node start.
type Phase struct {
	// Name says what was done.
	Name string
	// At is the time since the start.
	At time.Duration
}

// Options configure a single-node Kubernetes.
type Options struct {
	// Name is the node's name. Default "cbnode".
	Name string
	// Registry is the registry of the images built and imported.
	// Default DefaultRegistry.
	Registry string
	// APIServerArgs are extra kube-apiserver flags ("--name=value").
	// Default none.
	APIServerArgs []string
}

// Node is a running single-node Kubernetes v1.37: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd, kubelet,
// kube-proxy and a NetworkPolicy enforcer (netpol.go), on the
// test-only network of net.go, with every state
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
	// ResetSteps are the last Reset's steps, as durations since it began.
	ResetSteps []Phase
	// Recovered says what the start removed of a node run that died
	// without its teardown (recover.go); empty when there was none.
	Recovered string
	// Phases are the start's milestones (control plane ready, images built,
	// images imported, node Ready, NetworkPolicy enforcer running), as
	// durations since the start.
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
	base      baseline
	createdKD bool
	mounted   bool
	// kubeletRoot is KubeletRootDir (a dead run's recorded one in
	// recoverDeadRun).
	kubeletRoot string
	// rec records what the run creates, for the next run should this one
	// die; nil once Stop ran.
	rec *recorder
}

// Start starts a node and tears it down when the test ends: a missing
// component fails the test with the command that installs it; nothing is
// skipped. The teardown stops every process it started, kills the
// containers, unmounts, and removes the network changes, so a failed test
// leaves the machine usable; a test binary killed before its teardown
// leaves a record the next start undoes (Node.Recovered).
func Start(t testenv.TB, o Options) *Node {
	t.Helper()
	n, err := New(o)
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

// New starts a node; the caller must call Stop, also when it returns an
// error together with a non-nil Node.
func New(o Options) (*Node, error) {
	start := time.Now()
	if o.Name == "" {
		o.Name = "cbnode"
	}
	if o.Registry == "" {
		o.Registry = DefaultRegistry
	}
	paths, err := nodePrereqs()
	if err != nil {
		return nil, err
	}
	lock, err := lockNode()
	if err != nil {
		return nil, err
	}
	// The lock is ours, so a record left is a run that died: undo it first.
	recovered, err := recoverDeadRun(statePath, paths)
	if err != nil {
		unlockNode(lock)
		return nil, err
	}
	if recovered != "" {
		fmt.Fprintln(os.Stderr, recovered)
	}
	dir, err := os.MkdirTemp("", "cbnode-")
	if err != nil {
		unlockNode(lock)
		return nil, err
	}
	sock := filepath.Join(dir, "containerd", "containerd.sock")
	rec, err := newRecorder(statePath, dir, sock)
	if err != nil {
		_ = os.RemoveAll(dir)
		unlockNode(lock)
		return nil, err
	}
	n := &Node{Name: o.Name, Dir: dir, Registry: o.Registry, Recovered: recovered, paths: paths, procs: map[string]*proc{},
		lock: lock, sock: sock, kubeletRoot: KubeletRootDir, rec: rec}
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
	if err := n.rec.images(b.dir); err != nil {
		return n, err
	}
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
	if err := n.startNetpol(); err != nil {
		return n, err
	}
	if n.base, err = n.snapshot(context.Background()); err != nil {
		return n, err
	}
	mark("NetworkPolicy enforcer running")
	n.Started = time.Since(start)
	return n, nil
}

func (n *Node) start(o Options) error {
	pk, err := newPKI(filepath.Join(n.Dir, "pki"))
	if err != nil {
		return err
	}
	n.pki = pk
	if err := n.issueCerts(); err != nil {
		return err
	}
	if n.net, err = setupNetwork(n.paths["ip"], n.rec.network); err != nil {
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
