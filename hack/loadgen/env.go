package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
)

// cluster is a kube-apiserver with Velero's namespace, the managed BSL and
// an application namespace.
type cluster struct {
	kube       *kubeenv.ControlPlane
	kubeconfig string
	dir        string
}

func startCluster(ctx context.Context, opts kubeenv.Options) (*cluster, error) {
	k, err := kubeenv.New(opts)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "loadgen-")
	if err != nil {
		return nil, err
	}
	u, err := k.Env.AddUser(envtest.User{Name: "clusterbackup-webhook", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return nil, err
	}
	c := &cluster{kube: k, kubeconfig: filepath.Join(dir, "kubeconfig"), dir: dir}
	if err := os.WriteFile(c.kubeconfig, kc, 0o600); err != nil {
		return nil, err
	}
	for _, ns := range []string{"velero", "app"} {
		if err := k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return nil, err
		}
	}
	bsl := &velerov1.BackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "velero"},
		Spec: velerov1.BackupStorageLocationSpec{Provider: "aws", Default: true,
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "backups", Prefix: "kkp/p1/c1"}},
			Config:      map[string]string{"region": "eu-central-1", "s3Url": "https://s3.example.com"}},
	}
	if err := k.Client.Create(ctx, bsl); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cluster) stop() {
	_ = c.kube.Stop()
	_ = os.RemoveAll(c.dir)
}

// proc is a server process under measurement.
type proc struct {
	once   sync.Once
	cmd    *exec.Cmd
	base   string
	client *http.Client
}

// serving is what a server under measurement listens with: a certificate
// signed by ca in certDir, the webhook port, and the /readyz address.
type serving struct {
	certDir string
	ca      []byte
	port    int
	health  string
}

// newServing writes a serving certificate for name and picks free ports.
func newServing(c *cluster, name string) (serving, error) {
	s := serving{certDir: filepath.Join(c.dir, name+"-certs")}
	var err error
	if s.ca, err = testcert.Write(s.certDir, name); err != nil {
		return s, err
	}
	if s.port, err = testenv.FreePort(); err != nil {
		return s, err
	}
	hport, err := testenv.FreePort()
	s.health = "127.0.0.1:" + strconv.Itoa(hport)
	return s, err
}

// startWebhook runs `clusterbackup webhook` against the cluster.
func startWebhook(ctx context.Context, bin string, c *cluster, name string, extra ...string) (*proc, []byte, error) {
	s, err := newServing(c, name)
	if err != nil {
		return nil, nil, err
	}
	args := append([]string{"webhook", "--kubeconfig", c.kubeconfig, "--host", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--cert-dir", s.certDir, "--health-addr", s.health, "--metrics-addr", "0",
		"--managed-bucket", "backups", "--managed-endpoint", "https://s3.example.com", "--managed-prefix", "kkp/p1/c1"}, extra...)
	p, err := startProc(ctx, bin, args, s)
	return p, s.ca, err
}

func startProc(ctx context.Context, bin string, args []string, s serving) (*proc, error) {
	port, ca, ready := s.port, s.ca, "http://"+s.health+"/readyz"
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	p := &proc{cmd: cmd, base: fmt.Sprintf("https://127.0.0.1:%d", port), client: &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 256,
		},
	}}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("%s did not become ready", bin)
}

// stop ends the process gracefully; calling it again does nothing.
func (p *proc) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	})
}

// memory is a process's resident memory in KiB.
type memory struct{ rss, peak, anon, file int64 }

// String prints the memory figures in MiB.
func (m memory) String() string {
	mib := func(k int64) string { return fmt.Sprintf("%.1f MiB", float64(k)/1024) }
	return fmt.Sprintf("RSS %s (anonymous %s, file-backed binary pages %s), peak %s", mib(m.rss), mib(m.anon), mib(m.file), mib(m.peak))
}

// mem reads the process's resident memory from /proc.
func (p *proc) mem() memory {
	var m memory
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.rss = n
		case "VmHWM":
			m.peak = n
		case "RssAnon":
			m.anon = n
		case "RssFile":
			m.file = n
		}
	}
	return m
}

// cpu is the time the process's threads have spent on a CPU so far, summed
// from each thread's schedstat (nanoseconds, unlike /proc/PID/stat's ticks).
func (p *proc) cpu() time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.cmd.Process.Pid))
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(n)
		}
	}
	return total
}
