package admissionpolicy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// Identities of the params guard test. The remote Argo CD applies as the
// account of its cluster Secret (argocd-manager in kube-system of the
// managed cluster), not as its own application controller.
const (
	remoteArgo     = "system:serviceaccount:kube-system:argocd-manager"
	argoController = "system:serviceaccount:argocd:argocd-application-controller"
	nsEditor       = "alice"
)

// impersonate returns a client of the admin that acts as user (the API
// server's impersonation, as kubectl --as does).
func (c *cluster) impersonate(t *testing.T, user string, groups ...string) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(c.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append(groups, "system:authenticated")}
	cl, err := client.New(cfg, client.Options{Scheme: c.Env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// editIn gives user what the built-in "edit" ClusterRole grants on
// ConfigMaps and Velero objects, in the Velero namespace only. (envtest runs
// no kube-controller-manager, which aggregates "edit", so the test grants the
// same verbs through a Role of its own.)
func (c *cluster) editIn(t *testing.T, user string) {
	t.Helper()
	name := "edit-" + strings.NewReplacer(":", "-").Replace(user)
	verbs := []string{"create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: sampleNamespace},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: verbs},
			{APIGroups: []string{"velero.io"}, Resources: []string{"*"}, Verbs: verbs},
		},
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: sampleNamespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}},
	}
	for _, o := range []client.Object{role, rb} {
		if err := c.Client.Create(c.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// TestParamsGuard: through the real API server, a namespace-level user
// (RBAC edit in the Velero namespace) and Argo CD's application controller
// cannot re-point the params ConfigMap at another cluster's prefix, neither
// by an update nor by deleting and re-creating it; the configured GitOps
// applier (a remote Argo CD's argocd-manager, with the same namespace-level
// RBAC) and a cluster-admin can change it, and the user's other ConfigMaps
// stay writable.
func TestParamsGuard(t *testing.T) {
	values := sampleValues(true, false)
	values["webhook"] = map[string]any{"managedBSLEditors": []any{remoteArgo}}
	c := startClusterWith(t, values, true, false)
	ctx := context.Background()
	for _, u := range []string{nsEditor, argoController, remoteArgo} {
		c.editIn(t, u)
	}
	alice := c.impersonate(t, nsEditor)
	controller := c.impersonate(t, argoController, "system:serviceaccounts", "system:serviceaccounts:argocd")
	applier := c.impersonate(t, remoteArgo, "system:serviceaccounts", "system:serviceaccounts:kube-system")

	get := func(t *testing.T) *corev1.ConfigMap {
		t.Helper()
		cm := &corev1.ConfigMap{}
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: sampleNamespace, Name: paramsName}, cm); err != nil {
			t.Fatal(err)
		}
		return cm
	}
	repoint := func(cm *corev1.ConfigMap) *corev1.ConfigMap {
		cm = cm.DeepCopy()
		cm.Data["prefix"] = sampleCBSLPath + "/p2/victim"
		return cm
	}
	managed := func() *velerov1.BackupStorageLocation {
		b := fixtures.BSL(sampleBSL, sampleBucket, sampleEndpoint, samplePrefix)
		b.Spec.Default = true
		return b
	}
	// The guard becomes effective asynchronously: poll with a dry run.
	c.waitDenied(t, paramsName, func() error { return alice.Update(ctx, repoint(get(t)), client.DryRunAll) })

	deniedBy := func(t *testing.T, err error, user, op string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s could %s the params", user, op)
		}
		for _, want := range []string{"ValidatingAdmissionPolicy 'clusterbackup-admission-params'", "ConfigMap velero/" + paramsName, `"` + user + `" may not ` + op, "webhook.managedBSLEditors"} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("%s: denial %q lacks %q", user, err, want)
			}
		}
	}
	t.Run("namespace editor cannot re-prefix", func(t *testing.T) {
		deniedBy(t, alice.Update(ctx, repoint(get(t))), nsEditor, "update")
		meta := get(t)
		meta.Labels["app.kubernetes.io/managed-by"] = "someone-else"
		deniedBy(t, alice.Update(ctx, meta), nsEditor, "update")
		if got := get(t).Data["prefix"]; got != samplePrefix {
			t.Fatalf("prefix is %q after the denied writes", got)
		}
	})
	t.Run("argo application controller is another identity", func(t *testing.T) {
		deniedBy(t, controller.Update(ctx, repoint(get(t))), argoController, "update")
	})
	t.Run("namespace editor's other ConfigMaps are writable", func(t *testing.T) {
		cm := &corev1.ConfigMap{ObjectMeta: meta("app-settings"), Data: map[string]string{"prefix": "anything"}}
		if err := alice.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
		cm.Data["prefix"] = "else"
		if err := alice.Update(ctx, cm); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("configured applier and cluster-admin can change it", func(t *testing.T) {
		moved := repoint(get(t))
		if err := applier.Update(ctx, moved); err != nil {
			t.Fatalf("the configured applier %s: %v", remoteArgo, err)
		}
		// The BSL rules follow the new parameters (the API server's params
		// informer takes a moment).
		c.eventually(t, "the managed BSL on its old prefix denied after the applier moved the params", func() error {
			if err := c.Client.Create(ctx, managed(), client.DryRunAll); err == nil || !strings.Contains(err.Error(), "p2/victim") {
				return fmt.Errorf("got %v", err)
			}
			return nil
		})
		back := get(t)
		back.Data["prefix"] = samplePrefix
		if err := c.Client.Update(ctx, back); err != nil {
			t.Fatalf("cluster-admin: %v", err)
		}
		c.eventually(t, "the managed BSL admitted after the cluster-admin restored the params", func() error {
			return c.Client.Create(ctx, managed(), client.DryRunAll)
		})
	})
	t.Run("delete and re-create", func(t *testing.T) {
		saved := get(t)
		// Deleting is not guarded (the namespace controller must be able
		// to); the BSL policy then fails closed.
		if err := alice.Delete(ctx, saved); err != nil {
			t.Fatalf("delete: %v", err)
		}
		c.waitDenied(t, "clusterbackup-bsl", func() error {
			return alice.Create(ctx, managed(), client.DryRunAll)
		})
		fresh := func() *corev1.ConfigMap {
			cm := &corev1.ConfigMap{ObjectMeta: meta(paramsName), Data: saved.Data}
			cm.Labels = saved.Labels
			return cm
		}
		planted := fresh()
		planted.Data = repoint(saved).Data
		deniedBy(t, alice.Create(ctx, planted), nsEditor, "create")
		if err := applier.Create(ctx, fresh()); err != nil {
			t.Fatalf("re-create by the applier: %v", err)
		}
		c.eventually(t, "the managed BSL admitted after the params came back", func() error {
			return alice.Create(ctx, managed(), client.DryRunAll)
		})
	})
}

// eventually polls f until it returns nil (30 s).
func (c *cluster) eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(c.ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = f()
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, last)
	}
}
