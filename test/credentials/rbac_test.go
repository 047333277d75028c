package credentials

import (
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/cbslstatus"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// rbacKinds are the objects of the seed render that grant the process its
// rights.
var rbacKinds = map[string]bool{"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true}

// TestSeedProcessWithRenderedRBAC runs the seed's controllers process
// (status loop, credentials loop, leader election as the chart turns it on)
// as the chart's controllers service account with exactly the RBAC objects
// `render --seed` produces: it acquires its Lease and records the
// LeaderElection Event, a CBSL's status becomes Available, a Cluster's user
// cluster gets both Secrets, Events are written, and no request of the
// process is refused. Reads beyond the grant are refused: a Secret in
// another namespace, a Secret other than admin-kubeconfig in a cluster
// namespace, listing Secrets there, changing a stored repository password,
// and Leases other than its own. The webhooks' service account may only
// read: Clusters, and CBSLs and Secrets of the CBSL namespace.
func TestSeedProcessWithRenderedRBAC(t *testing.T) {
	ctx := context.Background()
	sd, k1 := startSeedAPI(t, "rbac-key")
	k := sd.Kube

	// The chart renders only with its webhook's callers limited; envtest's
	// API server calls from loopback (only the RBAC objects are applied).
	res, err := renderer.RenderSeed(renderer.SeedOptions{Values: map[string]any{"networkPolicy": map[string]any{"apiServerCIDRs": []any{"127.0.0.1/32"}}}})
	testenv.Must(t, err)
	objs, err := res.Objects()
	testenv.Must(t, err)
	const releaseNS, webhookSA, sa = "clusterbackup", "clusterbackup-seed", "clusterbackup-seed-controllers"
	testenv.Must(t, k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: releaseNS}}))
	granted := 0
	for _, o := range objs {
		if rbacKinds[o.GetKind()] {
			testenv.Must(t, k.Client.Create(ctx, o))
			granted++
		}
	}
	if granted != 14 {
		t.Fatalf("the seed render holds %d RBAC objects, want 14 (two ServiceAccounts; the webhooks' ClusterRole+Binding, Role+Binding in %s; the controllers' ClusterRole+Binding, Role+Binding in %s, in default and for leader election in %s)", granted, cbslNS, cbslNS, releaseNS)
	}
	asSA, saConfig := serviceAccount(t, k, releaseNS, sa)
	asWebhook, _ := serviceAccount(t, k, releaseNS, webhookSA)

	// The process, as the service account, with the chart's settings.
	runCtx, cancel := context.WithCancel(ctx)
	mgr, err := controllers.New(runCtx, saConfig, controllers.Options{
		Serving:        process.Serving{HealthAddr: "0", MetricsAddr: "0", ShutdownTimeout: duration.Of(time.Second)},
		LeaderElection: true, LeaderElectionNamespace: releaseNS,
		Check:       s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}},
		Status:      cbslstatus.Options{Enabled: true, Period: duration.Of(time.Minute)},
		Credentials: credentials.Options{Enabled: true},
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("manager stopped: %v", err)
		}
	})
	if !mgr.GetCache().WaitForCacheSync(runCtx) {
		t.Fatal("cache did not sync under the rendered RBAC")
	}

	// It leads: the Lease is its own, and leader election's Event is written.
	select {
	case <-mgr.Elected():
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not acquire its Lease under the rendered RBAC")
	}
	leaseHeld(t, k.Client, releaseNS)
	testenv.Eventually(t, 20*time.Second, "the LeaderElection Event on the Lease", func() (bool, error) {
		var evs corev1.EventList
		if err := k.Client.List(ctx, &evs, client.InNamespace(releaseNS)); err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == "LeaderElection" && e.InvolvedObject.Kind == "Lease" && e.InvolvedObject.Name == controllers.DefaultLeaderElectionID {
				return true, nil
			}
		}
		return false, nil
	})

	// It works: status, delivery, Events.
	testenv.Must(t, k.Client.Create(ctx, cbslSecret(k1)))
	testenv.Must(t, k.Client.Create(ctx, cbsl(sd.S3.Endpoint)))
	userCluster := kubeenv.Start(t, kubeenv.Options{})
	const id = "rb4c9xk2qz"
	registerUserCluster(t, k.Client, id, userCluster)
	testenv.Must(t, k.Client.Create(ctx, cluster(id)))
	_, pw := delivered(t, userCluster.Client, "credentials delivered under the rendered RBAC", nil)
	if string(seedPassword(t, k.Client, id)) != string(pw) {
		t.Fatal("the delivered repository password differs from the seed's copy")
	}
	testenv.Eventually(t, 20*time.Second, "CBSL Available", func() (bool, error) {
		var c kkpv1.ClusterBackupStorageLocation
		if err := k.Client.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: cbslName}, &c); err != nil {
			return false, err
		}
		return c.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, nil
	})
	testenv.Eventually(t, 20*time.Second, "Events of the Cluster and the CBSL", func() (bool, error) {
		_, evs := eventsText(t, k.Client)
		var onCluster, onCBSL bool
		for _, e := range evs {
			onCluster = onCluster || (e.Regarding.Kind == kkpv1.KindCluster && e.Regarding.Name == id && e.Reason == credentials.ReasonPasswordGenerated)
			onCBSL = onCBSL || (e.Regarding.Kind == kkpv1.KindClusterBackupStorageLocation && e.Regarding.Name == cbslName)
		}
		return onCluster && onCBSL, nil
	})
	if i := strings.Index(logs.String(), `"system:serviceaccount:`+releaseNS+`:`+sa+`" cannot`); i >= 0 {
		t.Fatalf("a request of the process was refused: %q", logs.String()[i:min(len(logs.String()), i+300)])
	}

	// Nothing more than that.
	testenv.Must(t, k.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "unrelated", Namespace: "default"}, StringData: map[string]string{"k": "v"}}))
	testenv.Must(t, k.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "etcd-tokens", Namespace: userclient.DefaultNamespacePrefix + id}, StringData: map[string]string{"k": "v"}}))
	var s corev1.Secret
	refused := map[string]error{
		"get a Secret in another namespace":     asSA.Get(ctx, client.ObjectKey{Namespace: "default", Name: "unrelated"}, &s),
		"get another Secret of the cluster":     asSA.Get(ctx, client.ObjectKey{Namespace: userclient.DefaultNamespacePrefix + id, Name: "etcd-tokens"}, &s),
		"list Secrets of the cluster namespace": asSA.List(ctx, &corev1.SecretList{}, client.InNamespace(userclient.DefaultNamespacePrefix+id)),
		"list Secrets cluster-wide":             asSA.List(ctx, &corev1.SecretList{}),
		"list CBSLs outside the CBSL namespace": asSA.List(ctx, &kkpv1.ClusterBackupStorageLocationList{}, client.InNamespace("default")),
	}
	var stored corev1.Secret
	testenv.Must(t, k.Client.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: credentials.DefaultPasswordSecretPrefix + id}, &stored))
	stored.Data[credentials.RepoKey] = []byte("replaced")
	refused["change a stored repository password"] = asSA.Update(ctx, &stored)
	refused["delete a stored repository password"] = asSA.Delete(ctx, &stored)
	other := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "another-controller", Namespace: releaseNS}}
	testenv.Must(t, k.Client.Create(ctx, other))
	refused["take over another Lease of the release namespace"] = asSA.Update(ctx, other)
	refused["read a Lease in another namespace"] = asSA.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: controllers.DefaultLeaderElectionID}, &coordinationv1.Lease{})
	for what, err := range refused {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s as the controllers' service account: err = %v, want Forbidden", what, err)
		}
	}

	// The webhooks' service account reads what admission reads, and no more.
	for what, err := range map[string]error{
		"list Clusters":                    asWebhook.List(ctx, &kkpv1.ClusterList{}),
		"list CBSLs of the CBSL namespace": asWebhook.List(ctx, &kkpv1.ClusterBackupStorageLocationList{}, client.InNamespace(cbslNS)),
		"get a credential Secret":          asWebhook.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: secret}, &corev1.Secret{}),
	} {
		if err != nil {
			t.Errorf("%s as the webhooks' service account: %v, want allowed", what, err)
		}
	}
	var loc kkpv1.ClusterBackupStorageLocation
	testenv.Must(t, k.Client.Get(ctx, client.ObjectKey{Namespace: cbslNS, Name: cbslName}, &loc))
	for what, err := range map[string]error{
		"get the admin kubeconfig":          asWebhook.Get(ctx, client.ObjectKey{Namespace: userclient.DefaultNamespacePrefix + id, Name: userclient.DefaultSecretName}, &corev1.Secret{}),
		"create a Secret":                   asWebhook.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: cbslNS}}),
		"write CBSL status":                 asWebhook.Status().Update(ctx, &loc),
		"update a stored password":          asWebhook.Update(ctx, &stored),
		"get a Secret in another namespace": asWebhook.Get(ctx, client.ObjectKey{Namespace: "default", Name: "unrelated"}, &corev1.Secret{}),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s as the webhooks' service account: err = %v, want Forbidden", what, err)
		}
	}
}

// serviceAccount returns a client and a config authenticating as service
// account ns/name, as its Pods would.
func serviceAccount(t *testing.T, k *kubeenv.ControlPlane, ns, name string) (client.Client, *rest.Config) {
	t.Helper()
	u, err := k.Env.AddUser(envtest.User{Name: "system:serviceaccount:" + ns + ":" + name, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}}, nil)
	testenv.Must(t, err)
	c, err := client.New(u.Config(), client.Options{Scheme: kubeenv.Scheme()})
	testenv.Must(t, err)
	return c, u.Config()
}
