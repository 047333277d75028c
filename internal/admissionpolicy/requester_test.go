package admissionpolicy

import (
	"slices"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/user"
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

// deleteBackupRequest asks Velero to delete Backup b and its data.
func deleteBackupRequest(name, b string) *velerov1.DeleteBackupRequest {
	return &velerov1.DeleteBackupRequest{ObjectMeta: meta(name), Spec: velerov1.DeleteBackupRequestSpec{BackupName: b}}
}

// requesterObjects returns one object of each requester-gated resource
// (velerorules.RequesterResources), named after prefix; a gated resource
// without one fails the test, so the cases follow the Go list.
func requesterObjects(t *testing.T, prefix string) map[string]client.Object {
	t.Helper()
	objs := map[string]client.Object{
		velerorules.ResourceBackups:              backup(prefix + "-b"),
		velerorules.ResourceSchedules:            schedule(prefix+"-s", "@daily"),
		velerorules.ResourceRestores:             restore(prefix+"-r", "b1", ""),
		velerorules.ResourceDownloadRequests:     downloadRequest(prefix+"-d", "b1"),
		velerorules.ResourceDeleteBackupRequests: deleteBackupRequest(prefix+"-x", "b1"),
	}
	if len(objs) != len(velerorules.RequesterResources()) {
		t.Fatalf("test objects for %d resources, velerorules.RequesterResources has %d", len(objs), len(velerorules.RequesterResources()))
	}
	for _, r := range velerorules.RequesterResources() {
		if objs[r] == nil {
			t.Fatalf("no test object for the requester-gated resource %s", r)
		}
	}
	return objs
}

// requester is an identity of the requester gate test, as the API server
// sees it (impersonated) and as the webhook's rule sees it.
type requester struct {
	name   string
	groups []string
	client client.Client
}

// testRequesterGate: through the real API server and its authorizer, a
// namespace-level user (RBAC edit in the Velero namespace) may create none
// of the requester-gated objects (velerorules.RequesterResources: Backups,
// Schedules, Restores, DownloadRequests, DeleteBackupRequests) there, nor
// change one's spec — each would make Velero read (or, a Restore, write)
// every namespace for them, or delete a backup's data for good; a user who
// may list Secrets everywhere may create the Backups, Schedules and
// DownloadRequests but no Restore and no DeleteBackupRequest (those need
// cluster-admin); a member of webhook.veleroOperatorGroups, Velero's service
// account (by name, with no more RBAC than edit in velero: its garbage
// collection creates DeleteBackupRequests) and the cluster-admin may create
// all. For every identity and resource, the policy decides as the webhook's
// rule (velerorules.ValidateRequester, asking the same API server through
// SubjectAccessReviews) does, and denies with its words: the object, then
// exactly the rule's message.
func testRequesterGate(t *testing.T, c *cluster) {
	veleroGroups := []string{"system:serviceaccounts", "system:serviceaccounts:" + sampleNamespace}
	for _, u := range []string{nsEditor, secretReader, operator, veleroUser} {
		c.editIn(t, u)
	}
	c.readSecretsEverywhere(t, secretReader)
	alice := c.impersonate(t, nsEditor)
	reader := c.impersonate(t, secretReader)
	bob := c.impersonate(t, operator, operatorGroup)
	velero := c.impersonate(t, veleroUser, veleroGroups...)
	c.waitDenied(t, requesterPolicy, func() error { return alice.Create(c.ctx, backup("probe-requester"), client.DryRunAll) })

	t.Run("namespace editor", func(t *testing.T) {
		for resource, o := range requesterObjects(t, "alice") {
			wantDenied(t, alice.Create(c.ctx, o, client.DryRunAll), requesterPolicy,
				`"alice" may not create or change `+resource+" in velero", "only Velero's service account, the managed editors, the Velero operators")
		}
	})
	t.Run("namespace editor deletes a backup", func(t *testing.T) {
		d := deleteBackupRequest("alice-deletes", "b1")
		wantDenied(t, alice.Create(c.ctx, d), requesterPolicy,
			"DeleteBackupRequest velero/alice-deletes: ", `"alice" may not create or change deletebackuprequests in velero`,
			"Velero would delete the backup's data in the bucket for good", "do everything in every namespace (cluster-admin)")
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
		for resource, o := range requesterObjects(t, "reader") {
			err := reader.Create(c.ctx, o, client.DryRunAll)
			if resource == velerorules.ResourceRestores || resource == velerorules.ResourceDeleteBackupRequests {
				wantDenied(t, err, requesterPolicy, `"secret-reader" may not create or change `+resource, "do everything in every namespace (cluster-admin)")
				continue
			}
			wantAllowed(t, err)
		}
	})
	t.Run("velero operators, Velero and the cluster-admin", func(t *testing.T) {
		for _, cl := range []client.Client{bob, velero, c.Client} {
			for _, o := range requesterObjects(t, "ok") {
				wantAllowed(t, cl.Create(c.ctx, o, client.DryRunAll))
			}
		}
	})
	t.Run("Velero's garbage collection", func(t *testing.T) {
		// As Velero's gc controller creates one for an expired Backup.
		d := deleteBackupRequest("", "expired")
		d.GenerateName = "expired-"
		d.Labels = map[string]string{velerov1.BackupNameLabel: "expired"}
		wantAllowed(t, velero.Create(c.ctx, d))
		d.Status.Phase = velerov1.DeleteBackupRequestPhaseInProgress
		wantAllowed(t, velero.Update(c.ctx, d))
	})
	t.Run("same decisions and words as the webhook's rule", func(t *testing.T) {
		cfg := &velerorules.Config{
			Namespace: sampleNamespace, ManagedBSLName: sampleBSL,
			Managed:    velerorules.Location{Bucket: sampleBucket, Endpoint: sampleEndpoint, Prefix: samplePrefix},
			VeleroUser: veleroUser, VeleroOperatorGroups: []string{operatorGroup},
		}
		testenv.Must(t, cfg.Complete())
		az := &user.SARAuthorizer{Client: c.Client}
		for _, r := range []requester{
			{nsEditor, nil, alice}, {secretReader, nil, reader}, {operator, []string{operatorGroup}, bob}, {veleroUser, veleroGroups, velero},
		} {
			u := velerorules.User{Name: r.name, Groups: append(slices.Clone(r.groups), "system:authenticated")}
			for resource, o := range requesterObjects(t, "diff") {
				pErr := r.client.Create(c.ctx, o, client.DryRunAll)
				wErrs := velerorules.ValidateRequester(c.ctx, cfg, az, u, resource)
				switch {
				case pErr == nil && len(wErrs) == 0:
				case pErr != nil && len(wErrs) == 1:
					gvk, err := apiutil.GVKForObject(o, c.Client.Scheme())
					testenv.Must(t, err)
					wantDenied(t, pErr, requesterPolicy, gvk.Kind+" "+sampleNamespace+"/"+o.GetName()+": "+wErrs[0].Detail)
				default:
					t.Errorf("%s creates %s: the policy says %v, the webhook's rule %v", r.name, resource, pErr, wErrs.ToAggregate())
				}
			}
		}
	})
}
