package node

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

func (n *Node) apiURL() string { return "https://" + net.JoinHostPort(IP, "6443") }

func (n *Node) issueCerts() error {
	pk := n.pki
	if _, _, err := pk.issue("apiserver", certOptions{CN: "kube-apiserver", Server: true,
		IPs: []net.IP{net.ParseIP(IP), net.ParseIP("127.0.0.1"), net.ParseIP(kubeSvcIP)},
		DNS: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"}}); err != nil {
		return err
	}
	if _, _, err := pk.issue("kubelet", certOptions{CN: n.Name, Server: true, IPs: []net.IP{net.ParseIP(IP)}, DNS: []string{n.Name}}); err != nil {
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
	n.Client, err = client.New(cfg, client.Options{Scheme: kubeenv.Scheme()})
	return err
}

func (n *Node) run(name string, args []string, env ...string) error {
	p, err := startProc(n.Dir, name, n.paths[name], args, env)
	if err != nil {
		return err
	}
	n.procs[name] = p
	n.order = append(n.order, name)
	return n.rec.proc(name, p.cmd.Process.Pid, p.cmd.Args)
}

// mountKubeletRoot bind-mounts src on the kubelet root, recorded first.
func (n *Node) mountKubeletRoot(src string) error {
	created, err := mountKubeletDir(src, n.kubeletRoot, n.rec.kubeletRoot)
	n.createdKD = created
	if err != nil {
		return err
	}
	n.mounted = true
	return nil
}

func (n *Node) startEtcd() error {
	cport, err := testenv.FreePort()
	if err != nil {
		return err
	}
	pport, err := testenv.FreePort()
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
		"--bind-address=" + IP, "--advertise-address=" + IP, "--secure-port=6443",
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
	kcmPort, err := testenv.FreePort()
	if err != nil {
		return err
	}
	schedPort, err := testenv.FreePort()
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
	return testenv.Run(n.paths["ctr"], append([]string{"--address", n.sock, "--namespace", "k8s.io"}, args...)...)
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
	if err := n.mountKubeletRoot(kdir); err != nil {
		return err
	}
	hz, err := testenv.FreePort()
	if err != nil {
		return err
	}
	cfg := filepath.Join(n.Dir, "kubelet-config.yaml")
	if err := writeFile(cfg, kubeletConfig(n.pki, n.sock, n.podLogsDir(), hz)); err != nil {
		return err
	}
	if err := n.run("kubelet", []string{
		"--config=" + cfg, "--kubeconfig=" + n.pki.path("kubelet-client.kubeconfig"),
		"--root-dir=" + n.kubeletRoot, "--node-ip=" + IP, "--hostname-override=" + n.Name,
	}); err != nil {
		return err
	}
	ph, err := testenv.FreePort()
	if err != nil {
		return err
	}
	pm, err := testenv.FreePort()
	if err != nil {
		return err
	}
	pcfg := filepath.Join(n.Dir, "kube-proxy-config.yaml")
	if err := writeFile(pcfg, kubeProxyConfig(n.pki.path("kube-proxy.kubeconfig"), n.Name, ph, pm)); err != nil {
		return err
	}
	return n.run("kube-proxy", []string{"--config=" + pcfg})
}
