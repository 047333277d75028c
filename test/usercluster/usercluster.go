// Package usercluster starts a user cluster for the acceptance tests in
// test/: a real kube-apiserver and etcd (internal/testenv) with our
// user-mode webhook registered and served, and the people who act on it.
package usercluster

import (
	"context"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
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

// The identities acting on a user cluster.
const (
	// Applier is the GitOps tool; the webhook lets only it edit the managed BSL.
	Applier = "system:serviceaccount:argocd:argocd-application-controller"
	// Owner is a person with cluster-admin, using kubectl or the velero CLI.
	Owner = "alice"
	// Velero is Velero's service account, the only writer of Backup status.
	Velero = "system:serviceaccount:velero:velero"
)

// Cluster is a user cluster's control plane with our webhook in front.
type Cluster struct {
	Kube *kubeenv.ControlPlane
	// Root is the control plane's own admin (not subject to identity
	// rules), with the apiextensions types in its scheme.
	Root client.Client
	// Admin acts as Applier, User as Owner, Velero as Velero.
	Admin, User, Velero client.Client

	stopWebhook func()
}

// Start starts the control plane with our mutating and validating
// configurations installed, and binds Applier and Owner to cluster-admin.
// The webhook itself starts with ConfigureWebhook; until then every
// Velero request fails closed.
func Start(t testing.TB) *Cluster {
	t.Helper()
	mwc, vwc := user.Configurations(user.ConfigurationOptions{ServiceNamespace: "x", ServiceName: "x"})
	k := kubeenv.Start(t, kubeenv.Options{Webhooks: envtest.WebhookInstallOptions{
		MutatingWebhooks:   []*admissionregv1.MutatingWebhookConfiguration{mwc},
		ValidatingWebhooks: []*admissionregv1.ValidatingWebhookConfiguration{vwc},
	}})
	testenv.Must(t, k.Client.Create(context.Background(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "usercluster-people"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{
			{Kind: "User", APIGroup: rbacv1.GroupName, Name: Applier},
			{Kind: "User", APIGroup: rbacv1.GroupName, Name: Owner},
			{Kind: "User", APIGroup: rbacv1.GroupName, Name: Velero},
		},
	}))
	c := &Cluster{Kube: k}
	var err error
	c.Admin, err = k.ClientAs(Applier)
	testenv.Must(t, err)
	c.User, err = k.ClientAs(Owner)
	testenv.Must(t, err)
	c.Velero, err = k.ClientAs(Velero, "system:serviceaccounts", "system:serviceaccounts:velero")
	testenv.Must(t, err)
	sch := kubeenv.Scheme()
	testenv.Must(t, apiextv1.AddToScheme(sch))
	c.Root, err = client.New(k.Config, client.Options{Scheme: sch})
	testenv.Must(t, err)
	t.Cleanup(func() {
		if c.stopWebhook != nil {
			c.stopWebhook()
		}
	})
	return c
}

// ConfigureWebhook (re)starts our user-mode webhook server where the
// configurations point, with cfg and Applier as the only managed-BSL
// editor, as a redeploy with a new configuration would.
func (c *Cluster) ConfigureWebhook(t testing.TB, cfg velerorules.Config) {
	t.Helper()
	if c.stopWebhook != nil {
		c.stopWebhook()
	}
	ctx, cancel := context.WithCancel(context.Background())
	wo := c.Kube.Env.WebhookInstallOptions
	cfg.ManagedBSLEditors = []string{Applier}
	mgr, err := server.New(ctx, c.Kube.Config, server.Options{
		Host: wo.LocalServingHost, Port: wo.LocalServingPort, CertDir: wo.LocalServingCertDir,
		Serving: process.Serving{HealthAddr: "0", MetricsAddr: "0", ShutdownTimeout: duration.Of(time.Second)},
		Velero:  cfg, DrainPeriod: new(duration.Duration),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// Not testenv.StartManager: the webhook lives as long as the cluster
	// (Start's test), not as long as the (sub)test that configured it.
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	c.stopWebhook = func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("webhook manager stopped: %v", err)
		}
	}
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("webhook cache did not sync")
	}
}
