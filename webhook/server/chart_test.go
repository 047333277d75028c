package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/webhook/server"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

const chartValues = `
cluster: {id: c1, projectID: p1}
storage: {bucket: backups, prefix: kkp, config: {region: eu-central-1, s3Url: "https://s3.example.com"}}
`

// helmTemplate renders the chart with the real helm CLI and returns its objects.
func helmTemplate(t *testing.T, values string, set ...string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	helm := testenv.MustTool(t, "helm")
	f := filepath.Join(t.TempDir(), "values.yaml")
	testenv.Must(t, os.WriteFile(f, []byte(chartValues+values), 0o600))
	args := []string{"template", "t", filepath.Join(testenv.RepoRoot(), "charts", "velero-managed"), "-f", f, "--kube-version", "v1.37.2"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	cmd := exec.Command(helm, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm template: %v: %s", err, stderr.String())
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, &u)
		}
	}
	return objs, nil
}

func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && o.GetLabels()["component"] == "webhook" {
			out = append(out, o)
		}
	}
	return out
}

func convert(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	raw, err := yaml.Marshal(u.Object)
	testenv.Must(t, err)
	testenv.Must(t, yaml.UnmarshalStrict(raw, into))
}

// TestChartWebhook renders the chart's webhook templates with the real helm
// CLI: off by default; in-cluster mode with its Deployment, PDB, Service and
// Certificate; the webhook configurations equal user.Configurations apart
// from names and client config.
func TestChartWebhook(t *testing.T) {
	objs, err := helmTemplate(t, "")
	testenv.Must(t, err)
	for _, o := range objs {
		if o.GetLabels()["component"] == "webhook" {
			t.Fatalf("webhook disabled by default, but %s %s rendered", o.GetKind(), o.GetName())
		}
	}

	objs, err = helmTemplate(t, "webhook: {enabled: true, managedBSLEditors: [argo]}\npreviousLocations: [{name: old, bucket: old, prefix: kkp-old}]\n")
	testenv.Must(t, err)
	deps := find(objs, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("want one webhook Deployment, got %d", len(deps))
	}
	var dep appsv1.Deployment
	convert(t, deps[0], &dep)
	args := strings.Join(dep.Spec.Template.Spec.Containers[0].Args, " ")
	for _, want := range []string{"--mode=user", "--managed-bucket=backups", "--managed-endpoint=https://s3.example.com", "--managed-prefix=kkp/p1/c1",
		"--managed-bsl-editor=argo", "--previous-location=bucket=old,endpoint=,prefix=kkp-old/p1/c1"} {
		if !strings.Contains(args, want) {
			t.Errorf("webhook args %q lack %q", args, want)
		}
	}
	if *dep.Spec.Replicas != 2 || dep.Spec.Template.Spec.Affinity.PodAntiAffinity == nil {
		t.Errorf("want 2 replicas with anti-affinity, got %d %+v", *dep.Spec.Replicas, dep.Spec.Template.Spec.Affinity)
	}
	for _, kind := range []string{"PodDisruptionBudget", "Service", "Certificate", "Issuer", "ServiceAccount", "Role", "ClusterRole", "NetworkPolicy"} {
		if len(find(objs, kind)) != 1 {
			t.Errorf("want one webhook %s", kind)
		}
	}
	np := find(objs, "NetworkPolicy")[0].Object["spec"].(map[string]any)
	if ingress := np["ingress"].([]any); len(ingress) != 1 || fmt.Sprint(ingress[0]) != "map[ports:[map[port:webhook protocol:TCP]]]" {
		t.Errorf("NetworkPolicy ingress = %v, want the webhook port only (metrics closed by default)", ingress)
	}
	noNP, err := helmTemplate(t, "webhook: {enabled: true, networkPolicy: {enabled: false}}\n")
	testenv.Must(t, err)
	if len(find(noNP, "NetworkPolicy")) != 0 {
		t.Error("webhook.networkPolicy.enabled=false still renders a NetworkPolicy")
	}
	mwcs, vwcs := find(objs, "MutatingWebhookConfiguration"), find(objs, "ValidatingWebhookConfiguration")
	if len(mwcs) != 1 || len(vwcs) != 1 {
		t.Fatalf("want one configuration of each kind, got %d %d", len(mwcs), len(vwcs))
	}
	if mwcs[0].GetAnnotations()["cert-manager.io/inject-ca-from"] != "velero/clusterbackup-webhook" {
		t.Errorf("cainjector annotation missing: %v", mwcs[0].GetAnnotations())
	}
	var mwc admissionregv1.MutatingWebhookConfiguration
	var vwc admissionregv1.ValidatingWebhookConfiguration
	convert(t, mwcs[0], &mwc)
	convert(t, vwcs[0], &vwc)
	wantM, wantV := user.Configurations(user.ConfigurationOptions{ServiceNamespace: "velero", ServiceName: "clusterbackup-webhook"})
	if len(mwc.Webhooks) != len(wantM.Webhooks) || len(vwc.Webhooks) != len(wantV.Webhooks) {
		t.Fatalf("webhook counts %d/%d, want %d/%d", len(mwc.Webhooks), len(vwc.Webhooks), len(wantM.Webhooks), len(wantV.Webhooks))
	}
	for i, w := range mwc.Webhooks {
		want := wantM.Webhooks[i]
		w.Name, want.Name = "", ""
		if !equality.Semantic.DeepEqual(w, want) {
			t.Errorf("chart mutating webhook %d differs from user.Configurations:\nchart %+v\ngo    %+v", i, w, want)
		}
	}
	for i, w := range vwc.Webhooks {
		want := wantV.Webhooks[i]
		w.Name, want.Name = "", ""
		if !equality.Semantic.DeepEqual(w, want) {
			t.Errorf("chart validating webhook %d differs from user.Configurations:\nchart %+v\ngo    %+v", i, w, want)
		}
	}

	for name, tc := range map[string]struct {
		values string
		set    []string
		errMsg string
	}{
		"plain http URL": {values: "webhook: {enabled: true, url: 'http://x'}", errMsg: "url"},
		"URL mode without caBundle": {values: "webhook: {enabled: true, url: 'https://x.example.com'}",
			errMsg: "webhook.tls.caBundle: Required value: URL mode (webhook.url) needs the base64 PEM CA"},
		"URL mode with cert-manager off and no caBundle": {values: "webhook: {enabled: true, url: 'https://x.example.com', tls: {certManager: {enabled: false}, secretName: s}}",
			errMsg: "webhook.tls.caBundle: Required value"},
		"timeout over 30": {values: "webhook: {enabled: true, timeoutSeconds: 31}", errMsg: "timeoutSeconds"},
		"unknown key":     {values: "webhook: {enabled: true, replica: 3}", errMsg: "replica"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := helmTemplate(t, tc.values, tc.set...)
			if err == nil || !strings.Contains(err.Error(), tc.errMsg) {
				t.Fatalf("err = %v, want one naming %s", err, tc.errMsg)
			}
		})
	}
}

// TestChartWebhookURLModeThroughKubeAPIServer installs the chart's webhook
// configurations (URL mode, given caBundle) into a real kube-apiserver and
// checks they reach the webhook server: mutation and denial work, status
// writes do not call it.
func TestChartWebhookURLModeThroughKubeAPIServer(t *testing.T) {
	certs := t.TempDir()
	ca, err := testcert.Write(certs, "webhook")
	testenv.Must(t, err)
	port, err := testenv.FreePort()
	testenv.Must(t, err)
	objs, err := helmTemplate(t, fmt.Sprintf("webhook: {enabled: true, url: 'https://127.0.0.1:%d', tls: {caBundle: %s}}\n", port, base64.StdEncoding.EncodeToString(ca)))
	testenv.Must(t, err)
	for _, kind := range []string{"Deployment", "Service", "Certificate", "PodDisruptionBudget", "NetworkPolicy"} {
		if len(find(objs, kind)) != 0 {
			t.Fatalf("URL mode rendered a %s", kind)
		}
	}
	if len(find(objs, "ServiceAccount")) != 1 || len(find(objs, "ClusterRole")) != 1 {
		t.Fatal("URL mode needs the webhook's ServiceAccount and RBAC for its reads")
	}
	k := kubeenv.Start(t, kubeenv.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	testenv.Must(t, k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "velero"}}))
	// Install everything the chart rendered for the webhook: its RBAC and
	// the configurations.
	for _, kind := range []string{"ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"} {
		for _, o := range find(objs, kind) {
			testenv.Must(t, k.Client.Create(ctx, o))
		}
	}
	// The webhook reads as the chart's ServiceAccount (its RBAC must
	// suffice), through a kubeconfig made as docs/webhook.md shows: the API
	// server's address and CA, and a token of the ServiceAccount.
	saConfig := serviceAccountKubeconfig(t, k, "velero", "clusterbackup-webhook")
	cfg := testConfig()
	cfg.ManagedBSLEditors = nil // the admin client applies the managed BSL here
	mgr, err := server.New(ctx, saConfig, server.Options{Host: "127.0.0.1", Port: port, CertDir: certs, Serving: process.Serving{HealthAddr: "0", MetricsAddr: "0"}, DrainPeriod: new(duration.Duration), Velero: cfg})
	testenv.Must(t, err)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("manager stopped: %v", err)
		}
	})
	eventually(t, "mutated managed BSL", func() error {
		b := fixtures.BSL("default", "backups", "https://s3.example.com", "")
		if err := k.Client.Create(ctx, b, &clientDryRun); err != nil {
			return err
		}
		if b.Spec.ObjectStorage.Prefix != "kkp/p1/c1" || !b.Spec.Default {
			return fmt.Errorf("not mutated yet: %+v", b.Spec.ObjectStorage)
		}
		return nil
	})
	testenv.Must(t, k.Client.Create(ctx, fixtures.BSL("default", "backups", "https://s3.example.com", "")))
	b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "velero"}, Spec: velerov1.BackupSpec{StorageLocation: "nowhere"}}
	denied(t, "backup on a missing location", k.Client.Create(ctx, b), `spec.storageLocation: Not found: "nowhere"`)
	b.Spec.StorageLocation = ""
	b.Spec.IncludedNamespaces = []string{"velero"} // a Namespace read: the ClusterRole must cover it
	eventually(t, "create backup", func() error { return k.Client.Create(ctx, b) })
	if b.Spec.TTL.Duration != 720*time.Hour {
		t.Fatalf("backup not defaulted: %v", b.Spec.TTL)
	}
}

// serviceAccountKubeconfig writes a kubeconfig for the ServiceAccount ns/name
// the way docs/webhook.md does (server, CA, a token from the TokenRequest
// API, which `kubectl create token` calls), loads it as --kubeconfig would,
// and returns the client config.
func serviceAccountKubeconfig(t *testing.T, k *kubeenv.ControlPlane, ns, name string) *rest.Config {
	t.Helper()
	cs, err := kubernetes.NewForConfig(k.Config)
	testenv.Must(t, err)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	testenv.Must(t, err)
	kc := clientcmdapi.NewConfig()
	kc.Clusters["user-cluster"] = &clientcmdapi.Cluster{Server: k.Config.Host, CertificateAuthorityData: k.Config.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["webhook"] = &clientcmdapi.Context{Cluster: "user-cluster", AuthInfo: name, Namespace: ns}
	kc.CurrentContext = "webhook"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	testenv.Must(t, clientcmd.WriteToFile(*kc, path))
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	testenv.Must(t, err)
	return cfg
}
