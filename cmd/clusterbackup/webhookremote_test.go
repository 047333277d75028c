package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// clientCertOf returns a client certificate for cn signed by a new CA of
// caCN (webhook/testcert), its key, and the CA's PEM.
func clientCertOf(t *testing.T, caCN, cn string) (certPEM, keyPEM, caPEM []byte) {
	t.Helper()
	ca, err := testcert.New(caCN)
	testenv.Must(t, err)
	certPEM, keyPEM, err = ca.ClientCert(cn)
	testenv.Must(t, err)
	return certPEM, keyPEM, ca.PEM
}

// admissionConfig writes the kube-apiserver's --admission-control-config-file:
// both webhook admission plugins present cert/key to every webhook ("*").
func admissionConfig(t *testing.T, dir string, cert, key []byte) string {
	t.Helper()
	kc := map[string]any{"apiVersion": "v1", "kind": "Config", "users": []any{map[string]any{"name": "*", "user": map[string]any{
		"client-certificate-data": cert, "client-key-data": key}}}}
	raw, err := yaml.Marshal(kc)
	testenv.Must(t, err)
	kcPath := filepath.Join(dir, "webhook-clients.kubeconfig")
	testenv.Must(t, os.WriteFile(kcPath, raw, 0o600))
	plugin := func(name string) map[string]any {
		return map[string]any{"name": name, "configuration": map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "WebhookAdmissionConfiguration", "kubeConfigFile": kcPath}}
	}
	ac := map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AdmissionConfiguration",
		"plugins": []any{plugin("ValidatingAdmissionWebhook"), plugin("MutatingAdmissionWebhook")}}
	raw, err = yaml.Marshal(ac)
	testenv.Must(t, err)
	p := filepath.Join(dir, "admission.yaml")
	testenv.Must(t, os.WriteFile(p, raw, 0o600))
	return p
}

// chartWebhookArgs renders the chart with the real helm CLI and returns the
// webhook container's args and the rendered NetworkPolicy.
func chartWebhookArgs(t *testing.T, values string) (args []string, np *unstructured.Unstructured) {
	t.Helper()
	helm := testenv.MustTool(t, "helm")
	f := filepath.Join(t.TempDir(), "values.yaml")
	testenv.Must(t, os.WriteFile(f, []byte(values), 0o600))
	cmd := exec.Command(helm, "template", "velero", filepath.Join(testenv.RepoRoot(), "charts", "velero-managed"), "-f", f, "--kube-version", "v1.37.2")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v: %s", err, stderr.String())
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch {
		case u.GetKind() == "Deployment" && u.GetName() == "clusterbackup-webhook":
			var d appsv1.Deployment
			raw, _ := yaml.Marshal(u.Object)
			testenv.Must(t, yaml.UnmarshalStrict(raw, &d))
			args = d.Spec.Template.Spec.Containers[0].Args
			vol := d.Spec.Template.Spec.Volumes[0]
			if vol.Projected == nil || len(vol.Projected.Sources) != 2 || vol.Projected.Sources[1].ConfigMap.Name != "apiserver-client-ca" {
				t.Fatalf("certs volume does not project the client CA: %+v", vol)
			}
		case u.GetKind() == "NetworkPolicy":
			np = u.DeepCopy()
		}
	}
	if args == nil {
		t.Fatal("no webhook Deployment rendered")
	}
	return args, np
}

// TestWebhookClientCAAndRemoteArgo runs `clusterbackup webhook` with the
// args the chart renders for webhook.clientCA and a remote Argo CD as the
// managed BSL's editor, behind a real kube-apiserver that presents a client
// certificate (--admission-control-config-file). The API server's calls
// succeed; a direct call without a client certificate, or with one of
// another CA, is refused at TLS. Through impersonation, the remote Argo CD's
// account (argocd-manager in kube-system) creates and changes the managed
// BSL, and Argo CD's in-cluster application controller is denied.
//
// It lives in the last test file of the package on purpose: the webhook
// command sets the process-wide logger and metrics registry, which
// TestWebhookServe and TestWebhookConfigServes read, and the test binary runs
// files in name order.
func TestWebhookClientCAAndRemoteArgo(t *testing.T) {
	const (
		remoteArgo = "system:serviceaccount:kube-system:argocd-manager"
		controller = "system:serviceaccount:argocd:argocd-application-controller"
	)
	dir := t.TempDir()
	cert, key, clientCA := clientCertOf(t, "kube-apiserver-webhook-client-ca", "kube-apiserver")

	m, v := user.Configurations(user.ConfigurationOptions{ServiceNamespace: "velero", ServiceName: "clusterbackup-webhook"})
	k := kubeenv.Start(t, kubeenv.Options{
		Webhooks:      envtest.WebhookInstallOptions{MutatingWebhooks: []*admissionregv1.MutatingWebhookConfiguration{m}, ValidatingWebhooks: []*admissionregv1.ValidatingWebhookConfiguration{v}},
		APIServerArgs: map[string][]string{"admission-control-config-file": {admissionConfig(t, dir, cert, key)}},
	})
	wo := k.Env.WebhookInstallOptions
	// The chart projects the ConfigMap's CA into the cert dir as client-ca.crt.
	testenv.Must(t, os.WriteFile(filepath.Join(wo.LocalServingCertDir, "client-ca.crt"), clientCA, 0o600))

	args, np := chartWebhookArgs(t, `
cluster: {id: c1, projectID: p1}
storage: {bucket: backups, prefix: kkp, config: {region: eu-central-1, s3Url: "https://s3.example.com"}}
webhook:
  enabled: true
  clientCA: {configMapName: apiserver-client-ca}
  managedBSLEditors: [`+remoteArgo+`]
`)
	if !strings.Contains(strings.Join(args, " "), "--client-ca-name=client-ca.crt --health-addr") || !strings.Contains(strings.Join(args, " "), "--managed-bsl-editor="+remoteArgo) {
		t.Fatalf("chart args %q lack the client CA or the editor", args)
	}
	if np == nil {
		t.Fatal("no NetworkPolicy rendered with the webhook")
	}

	health, metrics := freeHostPort(t), freeHostPort(t)
	// The chart's args, with the test's addresses and kubeconfig last (the
	// last value of a flag wins).
	args = append(args[1:], "--kubeconfig", writeKubeconfig(t, k, dir), "--host", wo.LocalServingHost, "--port", fmt.Sprint(wo.LocalServingPort),
		"--cert-dir", wo.LocalServingCertDir, "--health-addr", health, "--metrics-addr", metrics)
	ctx, cancel := context.WithCancel(context.Background())
	var logs testenv.SyncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, streams{In: strings.NewReader(""), Out: io.Discard, Err: &logs, Getenv: os.Getenv}, append([]string{"webhook"}, args...))
	}()
	t.Cleanup(func() { cancel(); <-code })
	waitHTTP(t, "http://"+health+"/readyz", code, &logs)

	testenv.Must(t, k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "velero"}}))
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "bsl-writer", Namespace: "velero"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"velero.io"}, Resources: []string{"backupstoragelocations"}, Verbs: []string{"create", "update", "get"}}}}
	testenv.Must(t, k.Client.Create(ctx, role))
	for i, u := range []string{remoteArgo, controller} {
		testenv.Must(t, k.Client.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("bsl-writer-", i), Namespace: "velero"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "bsl-writer"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: u}}}))
	}
	as := func(user, ns string) client.Client {
		cfg := rest.CopyConfig(k.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}}
		c, err := client.New(cfg, client.Options{Scheme: k.Env.Scheme})
		testenv.Must(t, err)
		return c
	}
	argo, ctrl := as(remoteArgo, "kube-system"), as(controller, "argocd")
	managed := func() *velerov1.BackupStorageLocation {
		return &velerov1.BackupStorageLocation{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "velero"},
			Spec: velerov1.BackupStorageLocationSpec{Provider: "aws", Default: true, Config: map[string]string{"region": "eu-central-1", "s3Url": "https://s3.example.com"},
				StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "backups", Prefix: "kkp/p1/c1"}}}}
	}

	// The API server reaches the webhook (it presents its client certificate):
	// the controller's create is denied by the webhook's editor rule.
	var last error
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		last = ctrl.Create(ctx, managed(), client.DryRunAll)
		if last != nil && strings.Contains(last.Error(), "denied the request") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last == nil || !strings.Contains(last.Error(), controller) {
		t.Fatalf("Argo CD's application controller creating the managed BSL: %v, want the webhook's denial naming it", last)
	}
	t.Logf("other identity: %v", last)
	b := managed()
	if err := argo.Create(ctx, b); err != nil {
		t.Fatalf("the remote Argo CD's account could not create the managed BSL through the webhook: %v", err)
	}
	b.Spec.Config["checksumAlgorithm"] = ""
	if err := argo.Update(ctx, b); err != nil {
		t.Fatalf("the remote Argo CD's account could not update the managed BSL: %v", err)
	}
	b.Spec.Config["checksumAlgorithm"] = "CRC32"
	if err := ctrl.Update(ctx, b); err == nil || !strings.Contains(err.Error(), controller) {
		t.Fatalf("the application controller's update: %v, want a denial", err)
	}

	// Direct calls: no client certificate, or one of another CA, fail the
	// TLS handshake; the API server's certificate passes.
	servingCA, err := os.ReadFile(filepath.Join(wo.LocalServingCertDir, "tls.crt"))
	testenv.Must(t, err)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(servingCA)
	addr := net.JoinHostPort(wo.LocalServingHost, fmt.Sprint(wo.LocalServingPort))
	review := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"velero.io","version":"v1","kind":"Backup"},"operation":"CREATE","namespace":"velero","userInfo":{"username":"alice"},"object":{"metadata":{"name":"b","namespace":"velero"},"spec":{"storageLocation":"nowhere"}}}}`)
	post := func(certs ...tls.Certificate) error {
		cfg := &tls.Config{RootCAs: roots, ServerName: wo.LocalServingHost, MinVersion: tls.VersionTLS12}
		if len(certs) > 0 {
			// Send the certificate even when the server's list of
			// acceptable CAs does not name its issuer.
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Post("https://"+addr+user.ValidateBackupPath, "application/json", bytes.NewReader(review))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	if err := post(); err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("a call without a client certificate: %v, want a TLS refusal", err)
	}
	otherCert, otherKey, _ := clientCertOf(t, "someone-else", "intruder")
	other, err := tls.X509KeyPair(otherCert, otherKey)
	testenv.Must(t, err)
	if err := post(other); err == nil || !strings.Contains(err.Error(), "tls: unknown certificate authority") {
		t.Fatalf("a call with another CA's client certificate: %v, want a TLS refusal", err)
	}
	good, err := tls.X509KeyPair(cert, key)
	testenv.Must(t, err)
	if err := post(good); err != nil {
		t.Fatalf("a call with the API server's client certificate: %v", err)
	}
}
