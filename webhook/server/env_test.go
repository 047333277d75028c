package server_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/server"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// Identities the integration tests act as.
const (
	applier  = "system:serviceaccount:argocd:argocd-application-controller"
	veleroSA = "system:serviceaccount:velero:velero"
	alice    = "alice"
)

// testConfig is the cluster the tests play: project p1, cluster c1.
func testConfig() velerorules.Config {
	return velerorules.Config{
		Managed:           velerorules.Location{Bucket: "backups", Endpoint: "https://s3.example.com", Prefix: "kkp/p1/c1"},
		ManagedBSLEditors: []string{applier},
		// The requester gate's operators (requester_test.go).
		VeleroOperatorGroups: []string{operatorGroup},
		PreviousLocations:    []velerorules.Location{{Bucket: "old", Endpoint: "https://old.example.com", Prefix: "kkp/p1/c1"}},
	}
}

// env is a kube-apiserver calling our webhook server, plus clients.
type env struct {
	k                    *kubeenv.ControlPlane
	admin                client.Client
	clients              map[string]client.Client
	warnings             map[string]*kubeenv.Warnings
	metricsURL, probeURL string
	// webhookAddr is the webhook server's host:port.
	webhookAddr string
	// reviews holds what the API server sent and got (envOptions.capture).
	reviews *recorder
	// stop cancels the manager and waits for it to return; Cleanup calls it
	// too, so a test may stop the server early.
	stop func() error
}

// envOptions vary the environment of startEnvWith.
type envOptions struct {
	// capture puts a recorder between the API server and the webhook
	// server that keeps every AdmissionReview and its answer (env.reviews).
	capture bool
	// drain is the server's DrainPeriod.
	drain time.Duration
}

// startEnv starts kube-apiserver + etcd with our webhook configurations and
// the real webhook server (server.New: manager, cache, TLS) in front of it.
func startEnv(t *testing.T) *env { return startEnvWith(t, envOptions{}) }

// startEnvWith is startEnv with options.
func startEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	mwc, vwc := user.Configurations(user.ConfigurationOptions{ServiceNamespace: "x", ServiceName: "x"})
	k := kubeenv.Start(t, kubeenv.Options{Webhooks: envtest.WebhookInstallOptions{
		MutatingWebhooks:   []*admissionregv1.MutatingWebhookConfiguration{mwc},
		ValidatingWebhooks: []*admissionregv1.ValidatingWebhookConfiguration{vwc},
	}})
	ctx, cancel := context.WithCancel(context.Background())
	wo := k.Env.WebhookInstallOptions
	health, metrics := testenv.FreeAddr(t), testenv.FreeAddr(t)
	port := wo.LocalServingPort
	var rec *recorder
	if o.capture {
		_, p, err := net.SplitHostPort(testenv.FreeAddr(t))
		testenv.Must(t, err)
		port, err = strconv.Atoi(p)
		testenv.Must(t, err)
		rec = startRecorder(t, net.JoinHostPort(wo.LocalServingHost, strconv.Itoa(wo.LocalServingPort)),
			net.JoinHostPort(wo.LocalServingHost, p), wo.LocalServingCertDir, wo.LocalServingCAData)
	}
	mgr, err := server.New(ctx, k.Config, server.Options{
		Host: wo.LocalServingHost, Port: port, CertDir: wo.LocalServingCertDir,
		Serving: process.Serving{HealthAddr: health, MetricsAddr: metrics}, Velero: testConfig(),
		DrainPeriod: &duration.Duration{Duration: o.drain},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := testenv.StartManager(ctx, t, cancel, mgr)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("manager stopped with %v", err)
		}
	})
	e := &env{k: k, admin: k.Client, clients: map[string]client.Client{}, warnings: map[string]*kubeenv.Warnings{},
		metricsURL: "http://" + metrics + "/metrics", probeURL: "http://" + health,
		webhookAddr: net.JoinHostPort(wo.LocalServingHost, fmt.Sprint(port)), reviews: rec, stop: stop}
	testenv.WaitOK(t, e.probeURL+"/readyz", 30*time.Second)

	bg := context.Background()
	for _, ns := range []string{"velero", "app", "db"} {
		testenv.Must(t, e.admin.Create(bg, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "test-users-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
	}
	for _, u := range []string{applier, veleroSA, alice} {
		crb.Subjects = append(crb.Subjects, rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: u})
		e.clientAs(t, u)
	}
	testenv.Must(t, e.admin.Create(bg, crb))
	return e
}

// clientAs returns a client authenticated as user (through envtest's
// client certificates) that records the warnings it receives.
func (e *env) clientAs(t *testing.T, name string) client.Client {
	t.Helper()
	c, w, err := e.k.WarningClientAs(name)
	testenv.Must(t, err)
	e.clients[name], e.warnings[name] = c, w
	return c
}

// eventually retries f until it returns nil: the webhook reads an informer
// cache, which sees a new object a few milliseconds after the API server.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	testenv.EventuallyEvery(t, 5*time.Second, 50*time.Millisecond, what, func() (bool, error) {
		err := f()
		return err == nil, err
	})
}

// denied asserts err is a webhook denial containing every substring.
func denied(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed, want a denial containing %q", what, want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("%s: error %q does not contain %q", what, err, w)
		}
	}
	if !strings.Contains(err.Error(), "denied the request") {
		t.Fatalf("%s: error %q is not a webhook denial", what, err)
	}
}

func key(name string) client.ObjectKey { return client.ObjectKey{Namespace: "velero", Name: name} }

// clientDryRun asks the API server for a dry run.
var clientDryRun = client.CreateOptions{DryRun: []string{metav1.DryRunAll}}
