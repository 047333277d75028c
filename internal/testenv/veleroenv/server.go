package veleroenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Options configure a Velero server process.
type Options struct {
	// Kubeconfig is the kubeconfig the server uses; give it Velero's service
	// account identity so identity-aware admission rules see the real caller.
	Kubeconfig []byte
	// Namespace is Velero's namespace. Default "velero".
	Namespace string
	// CredentialsFile is an AWS credentials INI file, passed to the plugin as
	// AWS_SHARED_CREDENTIALS_FILE the way the rendered Deployment mounts it.
	CredentialsFile []byte
	// UploaderType is "kopia" unless set.
	UploaderType string
	// Args are extra server flags.
	Args []string
}

// Server is a running `velero server` process.
type Server struct {
	// LogPath is the server's combined log file.
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
}

// Start runs `velero server` outside a cluster against a real API server,
// with the AWS object-store plugin in its plugin dir, and stops it at test end.
func Start(t testenv.TB, o Options) *Server {
	t.Helper()
	bin := testenv.MustTool(t, "velero")
	// velero server's controller-runtime manager always binds its own
	// metrics listener to :8080 (no flag changes it), so only one Velero
	// runs at a time on the machine: test packages (and checkouts) take
	// turns through a machine-wide lock, and the port must then be free.
	lock, err := testenv.LockMachine("velero", 15*time.Minute)
	testenv.Must(t, err)
	started := false
	defer func() {
		if !started { // a failed start releases the lock at once
			testenv.UnlockMachine(lock)
		}
	}()
	if l, err := net.Listen("tcp", ":8080"); err != nil {
		t.Fatalf("veleroenv: velero server needs port 8080 (its manager's fixed metrics address), which is busy: %v", err)
	} else {
		_ = l.Close()
	}
	plugin := testenv.MustTool(t, "velero-plugin-for-aws")
	if o.Namespace == "" {
		o.Namespace = kkpv1.VeleroNamespace
	}
	if o.UploaderType == "" {
		o.UploaderType = "kopia"
	}
	dir := t.TempDir()
	pluginDir := filepath.Join(dir, "plugins")
	testenv.Must(t, os.MkdirAll(pluginDir, 0o755))
	testenv.Must(t, os.Symlink(plugin, filepath.Join(pluginDir, "velero-plugin-for-aws")))
	kc := filepath.Join(dir, "kubeconfig")
	testenv.Must(t, os.WriteFile(kc, o.Kubeconfig, 0o600))
	creds := filepath.Join(dir, "credentials")
	testenv.Must(t, os.WriteFile(creds, o.CredentialsFile, 0o600))
	mport, err := testenv.FreePort()
	testenv.Must(t, err)
	pport, err := testenv.FreePort()
	testenv.Must(t, err)
	args := append([]string{"server",
		"--kubeconfig", kc,
		"--namespace", o.Namespace,
		"--plugin-dir", pluginDir,
		"--features=",
		"--uploader-type", o.UploaderType,
		"--metrics-address", "127.0.0.1:" + strconv.Itoa(mport),
		"--profiler-address", "127.0.0.1:" + strconv.Itoa(pport),
		"--store-validation-frequency", "2s",
		"--backup-sync-period", "2s",
		"--log-level", "info",
	}, o.Args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"AWS_SHARED_CREDENTIALS_FILE=" + creds,
		"VELERO_NAMESPACE=" + o.Namespace,
		"VELERO_SCRATCH_DIR=" + filepath.Join(dir, "scratch"),
	}
	logPath := filepath.Join(dir, "velero.log")
	logf, err := os.Create(logPath)
	testenv.Must(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	testenv.Must(t, cmd.Start())
	v := &Server{LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	started = true
	go func() { _ = cmd.Wait(); _ = logf.Close(); testenv.UnlockMachine(lock); close(v.done) }()
	t.Cleanup(v.Stop)
	return v
}

// Stop terminates the server and waits for it; calling it again is a no-op.
func (v *Server) Stop() { testenv.StopProcess(v.cmd, v.done, 15*time.Second) }

// Exited reports whether the server process has stopped.
func (v *Server) Exited() bool { return testenv.Closed(v.done) }

// Log returns the server's log so far.
func (v *Server) Log() string {
	b, _ := os.ReadFile(v.LogPath)
	return string(b)
}
