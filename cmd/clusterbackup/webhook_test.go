package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
	"github.com/clusterbackup/clusterbackup/webhook/server"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

func TestWebhookArgs(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	testenv.Must(t, os.WriteFile(cfgFile, []byte(`
mode: user
port: 9999
certDir: /certs
shutdownTimeout: 10s
velero:
  managed: {bucket: backups, endpoint: "https://s3.example.com", prefix: kkp/p1/c1}
  managedBSLEditors: [from-file]
  previousLocations: [{bucket: old, prefix: kkp/p1/c1}]
  backupTTL: 48h
`), 0o600))
	o, _, err := parseWebhookArgs(streams{Err: io.Discard}, []string{"--config", cfgFile, "--port", "8443", "--managed-bsl-editor", "argo", "--managed-bsl-editor", "flux"})
	testenv.Must(t, err)
	if o.Port != 8443 || o.CertDir != "/certs" || o.ShutdownTimeout.Duration != 10*time.Second || o.Velero.Managed.Bucket != "backups" ||
		fmt.Sprint(o.Velero.ManagedBSLEditors) != "[argo flux]" || len(o.Velero.PreviousLocations) != 1 || o.Velero.BackupTTL.Duration != 48*time.Hour {
		t.Fatalf("flags must override the file, the file the defaults: %+v", o)
	}
	o, _, err = parseWebhookArgs(streams{Err: io.Discard}, []string{"--previous-location", "bucket=b,endpoint=https://x,prefix=p,q/c", "--allow-other-storage"})
	testenv.Must(t, err)
	if len(o.Velero.PreviousLocations) != 1 || o.Velero.PreviousLocations[0] != (velerorules.Location{Bucket: "b", Endpoint: "https://x", Prefix: "p,q/c"}) || !o.Velero.AllowOtherStorage || o.Port != 9443 || o.Mode != "user" {
		t.Fatalf("flags: %+v", o)
	}

	if _, _, err := parseWebhookArgs(streams{Err: io.Discard}, []string{"--mode", "seed", "--leader-elect"}); err == nil || !strings.Contains(err.Error(), "leader-elect") {
		t.Fatalf("the webhook runs no loops and takes no --leader-elect: err = %v", err)
	}

	for name, tc := range map[string]struct {
		args []string
		code int
		msg  string
	}{
		"unknown config key":             {[]string{"--config", writeTemp(t, "velero: {bukket: x}")}, 2, "unknown field"},
		"bad previous location":          {[]string{"--previous-location", "prefix=x"}, 2, "bucket= is required"},
		"stray argument":                 {[]string{"extra"}, 2, "unexpected arguments"},
		"missing certificate dir":        {[]string{"--managed-bucket", "b"}, 1, "certificate directory"},
		"missing bucket":                 {[]string{"--cert-dir", dir, "--kubeconfig", writeTemp(t, "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n")}, 1, "managed.bucket: Required value"},
		"client CA outside the cert dir": {[]string{"--client-ca-name", "../ca.crt", "--cert-dir", dir, "--managed-bucket", "b"}, 1, `clientCAName: Invalid value: "../ca.crt": must name a file inside the certificate directory`},
		"unknown mode":                   {[]string{"--mode", "both", "--cert-dir", dir, "--kubeconfig", writeTemp(t, "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n")}, 1, `mode: Unsupported value: "both": supported values: "user", "seed"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := runCLI(t, "", nil, append([]string{"webhook"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("code=%d stderr=%q; want %d and %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
}

// TestWebhookDefaultsOnce: the webhook command's configuration is
// server.Options, defaulted once by server.Options.Default: without flags or
// a file the parsed options are exactly the defaulted zero Options (the
// flags add no default of their own), the help shows those defaults, and a
// --config file may write durations as Go's strings or, as the s3check
// durations of the seed's check still are and every duration could be
// before, as nanoseconds.
func TestWebhookDefaultsOnce(t *testing.T) {
	o, _, err := parseWebhookArgs(streams{Err: io.Discard}, nil)
	testenv.Must(t, err)
	var want server.Options
	want.Default()
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("flags without a file give\n%+v\nwant server.Options.Default's\n%+v", o, want)
	}
	var help bytes.Buffer
	_, _, _ = parseWebhookArgs(streams{Err: &help}, []string{"--help"})
	for _, d := range []string{
		fmt.Sprintf("(default %d)", server.DefaultPort), fmt.Sprintf("(default %q)", process.DefaultHealthAddr),
		fmt.Sprintf("(default %q)", process.DefaultMetricsAddr), "(default " + process.DefaultShutdownTimeout.String() + ")",
		"(default " + server.DefaultDrainPeriod.String() + ")", fmt.Sprintf("(default %q)", velerorules.DefaultNamespace),
		"(default " + velerorules.DefaultBackupTTL.String() + ")", fmt.Sprintf("(default %q)", velerorules.DefaultCredentialsSecret),
		"(default " + string(seed.DefaultMode) + ")",
	} {
		if !strings.Contains(help.String(), d) {
			t.Errorf("--help lacks %s:\n%s", d, help.String())
		}
	}
	for name, file := range map[string]string{
		"strings":     "shutdownTimeout: 10s\ndrainPeriod: 0s\nseed: {check: {budget: 2s}}\nvelero: {backupTTL: 48h}\n",
		"nanoseconds": "shutdownTimeout: 10000000000\ndrainPeriod: 0\nseed: {check: {budget: 2000000000}}\nvelero: {backupTTL: 48h}\n",
	} {
		t.Run(name, func(t *testing.T) {
			o, _, err := parseWebhookArgs(streams{Err: io.Discard}, []string{"--config", writeTemp(t, file)})
			testenv.Must(t, err)
			if o.ShutdownTimeout.Duration != 10*time.Second || o.DrainPeriod.Duration != 0 || o.Seed.Check.Budget.Duration != 2*time.Second || o.Velero.BackupTTL.Duration != 48*time.Hour {
				t.Fatalf("%q read as shutdownTimeout %v, drainPeriod %v, seed.check.budget %v, velero.backupTTL %v", file, o.ShutdownTimeout, o.DrainPeriod, o.Seed.Check.Budget, o.Velero.BackupTTL)
			}
		})
	}
}

// writeKubeconfig writes dir/kubeconfig for the user the webhook runs as.
func writeKubeconfig(t *testing.T, k *kubeenv.ControlPlane, dir string) string {
	t.Helper()
	u, err := k.Env.AddUser(envtest.User{Name: "clusterbackup-webhook", Groups: []string{"system:masters"}}, nil)
	testenv.Must(t, err)
	kc, err := u.KubeConfig()
	testenv.Must(t, err)
	p := filepath.Join(dir, "kubeconfig")
	testenv.Must(t, os.WriteFile(p, kc, 0o600))
	return p
}

// TestWebhookServe runs `clusterbackup webhook` against a real API server:
// health, readiness, a review over TLS, metrics, certificate rotation
// without restart, and a graceful stop that finishes an in-flight review.
func TestWebhookServe(t *testing.T) {
	k := kubeenv.Start(t, kubeenv.Options{})
	dir := t.TempDir()
	kubeconfig := writeKubeconfig(t, k, dir)
	certs := filepath.Join(dir, "certs")
	ca1, err := testcert.Write(certs, "first")
	testenv.Must(t, err)
	port, health, metrics := freePort(t), freeHostPort(t), freeHostPort(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs testenv.SyncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, streams{In: strings.NewReader(""), Out: io.Discard, Err: &logs, Getenv: os.Getenv}, []string{"webhook",
			"--kubeconfig", kubeconfig, "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--cert-dir", certs,
			"--health-addr", health, "--metrics-addr", metrics, "--managed-bucket", "backups", "--managed-prefix", "kkp/p1/c1"})
	}()
	waitHTTP(t, "http://"+health+"/readyz", code, &logs)
	resp, err := http.Get("http://" + health + "/healthz")
	testenv.Must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz = %d", resp.StatusCode)
	}

	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	c := tlsClient(ca1)
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"velero.io","version":"v1","kind":"Backup"},"operation":"CREATE","namespace":"velero","userInfo":{"username":"alice","groups":["system:masters"]},"object":{"metadata":{"name":"b","namespace":"velero"},"spec":{"storageLocation":"nowhere"}}}}`)
	ar := postReview(t, c, base+user.ValidateBackupPath, bytes.NewReader(body))
	if ar.Allowed || !strings.Contains(ar.Result.Message, `spec.storageLocation: Not found: "nowhere"`) {
		t.Fatalf("review = %+v", ar)
	}

	resp, err = http.Get("http://" + metrics + "/metrics")
	testenv.Must(t, err)
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`controller_runtime_webhook_latency_seconds_count{webhook="/validate-velero-io-v1-backup"} 1`, `clusterbackup_webhook_reviews_total{operation="CREATE",outcome="denied",webhook="validate-backup"} 1`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Rotate the certificate files in place; the server must present the new
	// one without a restart.
	ca2, err := testcert.Write(certs, "second")
	testenv.Must(t, err)
	deadline := time.Now().Add(20 * time.Second)
	for servedCN(t, port) != "second" {
		if time.Now().After(deadline) {
			t.Fatal("rotated certificate not served within 20s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	c = tlsClient(ca2)
	if ar := postReview(t, c, base+user.ValidateBackupPath, bytes.NewReader(body)); ar.Allowed {
		t.Fatal("review after rotation allowed a bad backup")
	}

	// Graceful stop: a review whose body is still arriving when the stop
	// signal comes is answered completely.
	pr, pw := io.Pipe()
	answered := make(chan *admissionv1.AdmissionResponse, 1)
	go func() { answered <- postReview(t, c, base+user.ValidateBackupPath, pr) }()
	_, _ = pw.Write(body[:40])
	time.Sleep(200 * time.Millisecond)
	cancel()
	time.Sleep(300 * time.Millisecond)
	_, _ = pw.Write(body[40:])
	pw.Close()
	select {
	case ar := <-answered:
		if ar.Allowed || ar.UID != "u1" {
			t.Fatalf("in-flight review answered wrongly: %+v", ar)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("in-flight review not answered during shutdown")
	}
	select {
	case got := <-code:
		if got != 0 {
			t.Fatalf("exit code %d; logs:\n%s", got, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}

	// Logs are JSON lines; the denial is logged with its reason.
	sawDenial := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q in\n%s", line, logs.String())
		}
		if rec["msg"] == "denied" && strings.Contains(fmt.Sprint(rec["reason"]), "nowhere") && rec["user"] == "alice" {
			sawDenial = true
		}
	}
	if !sawDenial {
		t.Fatalf("no structured denial log:\n%s", logs.String())
	}
	// Verbosity 0 logs denials only (TestWebhookConfigServes: 1 logs every review).
	if n := reviewLogLines(logs.String()); n != 0 {
		t.Fatalf("%d review lines at verbosity 0:\n%s", n, logs.String())
	}
}

// reviewLogLines counts the "review" lines (verbosity 1) of JSON logs.
func reviewLogLines(logs string) int {
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "review" {
			n++
		}
	}
	return n
}

func postReview(t *testing.T, c *http.Client, url string, body io.Reader) *admissionv1.AdmissionResponse {
	resp, err := c.Post(url, "application/json", body)
	if err != nil {
		t.Errorf("post review: %v", err)
		return &admissionv1.AdmissionResponse{}
	}
	defer resp.Body.Close()
	var ar admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&ar); err != nil || ar.Response == nil {
		t.Errorf("decode review answer: %v", err)
		return &admissionv1.AdmissionResponse{}
	}
	return ar.Response
}

func tlsClient(ca []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// servedCN returns the common name of the certificate the server presents.
func servedCN(t *testing.T, port int) string {
	conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reads the presented certificate only
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func waitHTTP(t *testing.T, url string, exited <-chan int, logs *testenv.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case c := <-exited:
			t.Fatalf("webhook exited with %d:\n%s", c, logs.String())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready:\n%s", url, logs.String())
}

func freePort(t *testing.T) int {
	p, err := testenv.FreePort()
	testenv.Must(t, err)
	return p
}

func freeHostPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, err)
	defer l.Close()
	return l.Addr().String()
}

func writeTemp(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f.yaml")
	testenv.Must(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// TestWebhookServeSeedMode checks `--mode seed` wires webhook/seed into the
// same server: ready, and its validation path answers AdmissionReviews.
func TestWebhookServeSeedMode(t *testing.T) {
	k := kubeenv.Start(t, kubeenv.Options{})
	dir := t.TempDir()
	kubeconfig := writeKubeconfig(t, k, dir)
	ca, err := testcert.Write(filepath.Join(dir, "certs"), "seed")
	testenv.Must(t, err)
	port, health := freePort(t), freeHostPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs testenv.SyncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, streams{In: strings.NewReader(""), Out: io.Discard, Err: &logs, Getenv: os.Getenv}, []string{"webhook", "--mode", "seed",
			"--kubeconfig", kubeconfig, "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--cert-dir", filepath.Join(dir, "certs"),
			"--health-addr", health, "--metrics-addr", "0"})
	}()
	waitHTTP(t, "http://"+health+"/readyz", code, &logs)
	body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"s1","kind":{"group":"kubermatic.k8c.io","version":"v1","kind":"ClusterBackupStorageLocation"},` +
		`"resource":{"group":"kubermatic.k8c.io","version":"v1","resource":"clusterbackupstoragelocations"},"operation":"CREATE","namespace":"kubermatic","userInfo":{"username":"admin"},` +
		`"object":{"apiVersion":"kubermatic.k8c.io/v1","kind":"ClusterBackupStorageLocation","metadata":{"name":"x","namespace":"kubermatic"},"spec":{"provider":"gcp","objectStorage":{"bucket":"a/b"}}}}}`
	ar := postReview(t, tlsClient(ca), fmt.Sprintf("https://127.0.0.1:%d%s", port, seed.ValidateCBSLPath), strings.NewReader(body))
	if ar.UID != "s1" || ar.Allowed {
		t.Fatalf("seed validation of a broken CBSL = %+v, want a denial", ar)
	}
	cancel()
	if got := <-code; got != 0 {
		t.Fatalf("exit code %d:\n%s", got, logs.String())
	}
}
