//go:build !webhookonly

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/webhook/server"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// urlModeValues run the webhook outside the cluster (URL mode) for a
// managed BSL that is not called "default".
const urlModeValues = `
bsl: {name: kkp-managed}
webhook:
  enabled: true
  url: https://webhooks.seed.example.com/c1
  tls: {caBundle: Zm9v}
  managedBSLEditors: [system:serviceaccount:argocd:argocd-application-controller]
  allowOtherStorage: true
  backupTTL: 48h
  logVerbosity: 1
`

// inClusterArgs renders the cluster through `render` with the webhook in
// the cluster and returns its container's arguments.
func inClusterArgs(t *testing.T, values string, cluster string) []string {
	t.Helper()
	out, stderr, code := runCLI(t, "", nil, "render", "--values", writeTemp(t, values))
	if code != 0 {
		t.Fatalf("render: %d %s", code, stderr)
	}
	objs, err := renderer.DecodeObjects(strings.NewReader(out))
	testenv.Must(t, err)
	for _, o := range objs {
		if o.GetKind() != "Deployment" || o.GetName() != "clusterbackup-webhook" {
			continue
		}
		var dep appsv1.Deployment
		testenv.Must(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &dep))
		args := dep.Spec.Template.Spec.Containers[0].Args
		if slices.Contains(args, "--managed-prefix="+cluster) {
			return args
		}
	}
	t.Fatalf("no webhook Deployment for prefix %s in the render", cluster)
	return nil
}

// TestWebhookConfig: `webhook-config` prints, from render's inputs, the
// flags the chart's in-cluster Deployment would run with (minus the Pod's
// --cert-dir) or the equivalent config file, both accepted by `webhook`.
func TestWebhookConfig(t *testing.T) {
	values := writeTemp(t, urlModeValues)
	const id, prefix = "m2vd8s5ptc", "q4mh2x8vbn/m2vd8s5ptc"
	flagsOut, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", values, "--cluster", id, "--format", "flags")
	if code != 0 {
		t.Fatalf("webhook-config --format flags: %d %s", code, stderr)
	}
	flags := strings.Split(strings.TrimSpace(flagsOut), "\n")
	// The same values in-cluster: the Deployment's arguments, exactly.
	want := slices.DeleteFunc(inClusterArgs(t, strings.Replace(urlModeValues, "  url: https://webhooks.seed.example.com/c1\n", "", 1), prefix)[1:],
		func(a string) bool { return strings.HasPrefix(a, "--cert-dir=") })
	if !reflect.DeepEqual(flags, want) {
		t.Fatalf("flags\n%q\nwant the in-cluster Deployment's\n%q", flags, want)
	}

	cfgOut, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", values, "--cluster", id)
	if code != 0 {
		t.Fatalf("webhook-config: %d %s", code, stderr)
	}
	fromFile, _, err := parseWebhookArgs(streams{Err: io.Discard}, []string{"--config", writeTemp(t, cfgOut), "--cert-dir", "/certs"})
	testenv.Must(t, err)
	fromFlags, _, err := parseWebhookArgs(streams{Err: io.Discard}, append(flags, "--cert-dir", "/certs"))
	testenv.Must(t, err)
	testenv.Must(t, fromFile.Complete())
	testenv.Must(t, fromFlags.Complete())
	fromFile.Seed, fromFlags.Seed = server.Options{}.Seed, server.Options{}.Seed
	if !reflect.DeepEqual(fromFile, fromFlags) {
		t.Fatalf("config file and flags differ:\nfile  %+v\nflags %+v", fromFile, fromFlags)
	}
	v := fromFile.Velero
	if v.ManagedBSLName != "kkp-managed" || v.Managed.Bucket != "team-b-backups" || v.Managed.Prefix != prefix || !v.AllowOtherStorage ||
		v.BackupTTL.Duration.String() != "48h0m0s" || fmt.Sprint(v.ManagedBSLEditors) != "[system:serviceaccount:argocd:argocd-application-controller]" {
		t.Fatalf("config: %+v", v)
	}
	if !strings.Contains(cfgOut, "--v=1") || strings.Contains(cfgOut, "seed:") || strings.Contains(cfgOut, "certDir") {
		t.Fatalf("config file:\n%s", cfgOut)
	}

	t.Run("the port webhook.url names", func(t *testing.T) {
		v := writeTemp(t, strings.Replace(urlModeValues, "webhooks.seed.example.com/c1", "webhooks.seed.example.com:8443/c1", 1))
		flagsOut, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", v, "--cluster", id, "--format", "flags")
		if code != 0 || !strings.Contains(flagsOut, "\n--port=8443\n") || strings.Contains(flagsOut, "9443") {
			t.Fatalf("code %d stderr %q flags:\n%s", code, stderr, flagsOut)
		}
		cfg, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", v, "--cluster", id)
		if code != 0 || !strings.Contains(cfg, "\nport: 8443\n") {
			t.Fatalf("code %d stderr %q config:\n%s", code, stderr, cfg)
		}
		bad := writeTemp(t, strings.Replace(urlModeValues, "webhooks.seed.example.com/c1", "webhooks.seed.example.com:0/c1", 1))
		if _, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", bad, "--cluster", id); code != 2 || !strings.Contains(stderr, `webhook.url: port "0" is not a number from 1 to 65535`) {
			t.Fatalf("port 0: code %d stderr %q", code, stderr)
		}
	})

	t.Run("several clusters", func(t *testing.T) {
		_, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", values)
		if code != 2 || !strings.Contains(stderr, "choose one with --cluster") || !strings.Contains(stderr, id) {
			t.Fatalf("code %d stderr %q", code, stderr)
		}
		dir := filepath.Join(t.TempDir(), "out")
		if _, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", values, "-o", dir); code != 0 {
			t.Fatalf("-o DIR: %d %s", code, stderr)
		}
		entries, err := os.ReadDir(dir)
		testenv.Must(t, err)
		if len(entries) != 3 || entries[0].Name() != id+".yaml" {
			t.Fatalf("files %v, want one <cluster-id>.yaml per cluster", entries)
		}
		got, err := os.ReadFile(filepath.Join(dir, id+".yaml"))
		testenv.Must(t, err)
		if string(got) != cfgOut {
			t.Fatalf("file differs from stdout:\n%s", got)
		}
	})

	for name, tc := range map[string]struct {
		args []string
		code int
		msg  string
	}{
		"webhook not enabled": {[]string{"webhook-config", "--cluster", id}, 1, "set webhook.enabled: true"},
		"disabled cluster":    {[]string{"webhook-config", "--cluster", id, "--values", values, "--disable"}, 1, "renders no webhook"},
		"unknown cluster":     {[]string{"webhook-config", "--cluster", "nope", "--values", values}, 2, "no such cluster"},
		"bad format":          {[]string{"webhook-config", "--format", "json"}, 2, "--format must be config or flags"},
		"render: URL mode without caBundle": {[]string{"render", "--values", writeTemp(t, "webhook: {enabled: true, url: 'https://x.example.com'}")}, 1,
			"webhook.tls.caBundle: Required value: URL mode (webhook.url) needs the base64 PEM CA"},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := runCLI(t, "", nil, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("code=%d stderr=%q; want %d and %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
}

// TestWebhookConfigServes runs `clusterbackup webhook` with the config file
// webhook-config wrote, against a real API server, at --v=1: a Backup is
// defaulted with the rendered cluster's managed BSL name, and every review,
// not only denials, is logged.
func TestWebhookConfigServes(t *testing.T) {
	cfgOut, stderr, code := runCLI(t, "", nil, "webhook-config", "--values", writeTemp(t, urlModeValues), "--cluster", "m2vd8s5ptc")
	if code != 0 {
		t.Fatalf("webhook-config: %d %s", code, stderr)
	}
	k := kubeenv.Start(t, kubeenv.Options{})
	ctx := context.Background()
	testenv.Must(t, k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "velero"}}))
	testenv.Must(t, k.Client.Create(ctx, &velerov1.BackupStorageLocation{ObjectMeta: metav1.ObjectMeta{Name: "kkp-managed", Namespace: "velero"},
		Spec: velerov1.BackupStorageLocationSpec{Provider: "aws", Default: true,
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "team-b-backups", Prefix: "q4mh2x8vbn/m2vd8s5ptc"}}}}))
	dir := t.TempDir()
	kubeconfig := writeKubeconfig(t, k, dir)
	ca, err := testcert.Write(filepath.Join(dir, "certs"), "external")
	testenv.Must(t, err)
	cfgFile := writeTemp(t, cfgOut)
	run := func(extra ...string) (port int, logs *testenv.SyncBuffer, stop func() int) {
		port, health := freePort(t), freeHostPort(t)
		args := append([]string{"webhook", "--config", cfgFile, "--cert-dir", filepath.Join(dir, "certs"), "--kubeconfig", kubeconfig, "--v=1",
			"--host", "127.0.0.1", "--port", fmt.Sprint(port), "--health-addr", health, "--metrics-addr", "0"}, extra...)
		logs, stop = startProcess(t, args...)
		waitHTTP(t, "http://"+health+"/readyz", nil, logs)
		return port, logs, stop
	}
	port, logs, stop := run()
	body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"velero.io","version":"v1","kind":"Backup"},` +
		`"operation":"CREATE","namespace":"velero","name":"b1","userInfo":{"username":"alice","groups":["system:masters"]},"object":{"metadata":{"name":"b1","namespace":"velero"},"spec":{"includedNamespaces":["velero"]}}}}`
	ar := postReview(t, tlsClient(ca), fmt.Sprintf("https://127.0.0.1:%d%s", port, user.MutateBackupPath), strings.NewReader(body))
	if !ar.Allowed || !strings.Contains(string(ar.Patch), `"path":"/spec/storageLocation","value":"kkp-managed"`) {
		t.Fatalf("review = %+v patch %s; want the Backup defaulted to kkp-managed", ar, ar.Patch)
	}
	if got := stop(); got != 0 {
		t.Fatalf("exit code %d:\n%s", got, logs.String())
	}
	if !logged(logs.String(), func(rec map[string]any) bool {
		return rec["msg"] == "review" && rec["outcome"] == "patched" && rec["name"] == "b1" && strings.Contains(fmt.Sprint(rec["patch"]), "add /spec/storageLocation")
	}) {
		t.Fatalf("--v=1 logged no line for the patched review:\n%s", logs.String())
	}
	if logged(logs.String(), func(rec map[string]any) bool { return rec["bsl"] != nil }) {
		t.Fatalf("the managed name is right, yet a misnamed BSL was logged:\n%s", logs.String())
	}

	// Started with the default name while the cluster's managed BSL is
	// kkp-managed: said at start, before any denial.
	_, logs, stop = run("--managed-bsl-name=default")
	misnamed := func(rec map[string]any) bool {
		return rec["bsl"] == "kkp-managed" && rec["managedBSLName"] == "default"
	}
	testenv.Eventually(t, 20*time.Second, "the misnamed managed BSL logged", func() (bool, error) { return logged(logs.String(), misnamed), nil })
	stop()
}

// logged reports whether a JSON log line matches.
func logged(logs string, match func(map[string]any) bool) bool {
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && match(rec) {
			return true
		}
	}
	return false
}

// startProcess runs the clusterbackup binary with args, its stderr in logs,
// in a process of its own (controller-runtime's logger is set once per
// process, and these tests are about what the command logs); stop sends
// SIGTERM and returns the exit code.
func startProcess(t *testing.T, args ...string) (logs *testenv.SyncBuffer, stop func() int) {
	t.Helper()
	logs = &testenv.SyncBuffer{}
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Stderr = logs
	testenv.Must(t, cmd.Start())
	exited := make(chan int, 1)
	go func() { _ = cmd.Wait(); exited <- cmd.ProcessState.ExitCode() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return logs, func() int {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return <-exited
	}
}
