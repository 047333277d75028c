package admissionpolicy

import (
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// requesterPolicy gates who may drive Velero (#29 item 4).
const requesterPolicy = "clusterbackup-requester"

// Identities of the requester gate test; operatorGroup is the values'
// webhook.veleroOperatorGroups entry (TestValidatingPoliciesWithoutWebhook).
const (
	secretReader  = "secret-reader"
	operator      = "bob"
	operatorGroup = "velero-operators"
)

// downloadRequest asks for the contents of Backup b.
func downloadRequest(name, b string) *velerov1.DownloadRequest {
	return &velerov1.DownloadRequest{ObjectMeta: meta(name), Spec: velerov1.DownloadRequestSpec{
		Target: velerov1.DownloadTarget{Kind: velerov1.DownloadTargetKindBackupContents, Name: b}}}
}

// readSecretsEverywhere grants user list on Secrets in every namespace.
func (c *cluster) readSecretsEverywhere(t *testing.T, user string) {
	t.Helper()
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "list-secrets-" + user},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}}}}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "list-secrets-" + user},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}}}
	for _, o := range []client.Object{cr, crb} {
		if err := c.Client.Create(c.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// testRequesterGate: through the real API server and its authorizer, a
// namespace-level user (RBAC edit in the Velero namespace) may create no
// Backup, Schedule, Restore or DownloadRequest there, nor change one's spec
// — each would make Velero read (or, a Restore, write) every namespace for
// them; a user who may list Secrets everywhere may create the first three
// but no Restore; a member of webhook.veleroOperatorGroups, Velero's service
// account and the cluster-admin may create all four.
func testRequesterGate(t *testing.T, c *cluster) {
	for _, u := range []string{nsEditor, secretReader, operator} {
		c.editIn(t, u)
	}
	c.readSecretsEverywhere(t, secretReader)
	alice := c.impersonate(t, nsEditor)
	reader := c.impersonate(t, secretReader)
	bob := c.impersonate(t, operator, operatorGroup)
	objects := func(prefix string) map[string]client.Object {
		return map[string]client.Object{
			"backups": backup(prefix + "-b"), "schedules": schedule(prefix+"-s", "@daily"),
			"restores": restore(prefix+"-r", "b1", ""), "downloadrequests": downloadRequest(prefix+"-d", "b1"),
		}
	}
	c.waitDenied(t, requesterPolicy, func() error { return alice.Create(c.ctx, backup("probe-requester"), client.DryRunAll) })

	t.Run("namespace editor", func(t *testing.T) {
		for resource, o := range objects("alice") {
			wantDenied(t, alice.Create(c.ctx, o, client.DryRunAll), requesterPolicy,
				`"alice" may not create or change `+resource+" in velero", "only Velero's service account, the managed editors, the Velero operators")
		}
	})
	t.Run("namespace editor changing an admitted Schedule", func(t *testing.T) {
		s := schedule("ops-schedule", "@daily")
		wantAllowed(t, bob.Create(c.ctx, s))
		s.Spec.Template.IncludedNamespaces = []string{"*"}
		wantDenied(t, alice.Update(c.ctx, s, client.DryRunAll), requesterPolicy, `"alice" may not create or change schedules`)
		s.Labels = map[string]string{"team": "a"} // metadata only: not gated
		s.Spec.Template.IncludedNamespaces = []string{"app"}
		wantAllowed(t, alice.Update(c.ctx, s, client.DryRunAll))
	})
	t.Run("who may list secrets everywhere", func(t *testing.T) {
		for resource, o := range objects("reader") {
			err := reader.Create(c.ctx, o, client.DryRunAll)
			if resource == "restores" {
				wantDenied(t, err, requesterPolicy, `"secret-reader" may not create or change restores`, "do everything in every namespace (cluster-admin)")
				continue
			}
			wantAllowed(t, err)
		}
	})
	t.Run("velero operators, Velero and the cluster-admin", func(t *testing.T) {
		for _, cl := range []client.Client{bob, c.Velero, c.Client} {
			for _, o := range objects("ok") {
				wantAllowed(t, cl.Create(c.ctx, o, client.DryRunAll))
			}
		}
	})
}
