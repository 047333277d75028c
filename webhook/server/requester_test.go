package server_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

// operatorGroup is testConfig's VeleroOperatorGroups entry.
const operatorGroup = "velero-operators"

// userWith returns a client authenticated as name in groups, holding the
// verbs of RBAC "edit" on Velero's kinds in the velero namespace, and, with
// readSecrets, list on Secrets in every namespace.
func (e *env) userWith(t *testing.T, name string, readSecrets bool, groups ...string) client.Client {
	t.Helper()
	ctx := context.Background()
	verbs := []string{"create", "delete", "patch", "update", "get", "list", "watch"}
	testenv.Must(t, e.admin.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "edit-" + name, Namespace: "velero"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"velero.io"}, Resources: []string{"*"}, Verbs: verbs}}}))
	subject := []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: name}}
	testenv.Must(t, e.admin.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "edit-" + name, Namespace: "velero"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "edit-" + name}, Subjects: subject}))
	if readSecrets {
		testenv.Must(t, e.admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "secrets-" + name},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}}))
		testenv.Must(t, e.admin.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "secrets-" + name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "secrets-" + name}, Subjects: subject}))
	}
	u, err := e.k.Env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	testenv.Must(t, err)
	c, err := client.New(rest.CopyConfig(u.Config()), client.Options{Scheme: e.k.Env.Scheme})
	testenv.Must(t, err)
	return c
}

// testRequesterGate (#29 item 4), the webhook layer alone (no admission
// policy in this API server): a namespace-level user (edit in velero) may
// create none of the requester-gated objects (velerorules.RequesterResources:
// Backups, Schedules, Restores, DownloadRequests, DeleteBackupRequests), nor
// change a Schedule's spec; who may list Secrets in every namespace (the
// SubjectAccessReview default) may create Backups, Schedules and
// DownloadRequests but no Restore and no DeleteBackupRequest (cluster-admin
// only); a member of the configured operator group, Velero's service
// account and the cluster-admin may create all. Velero's defaulting pass on
// a new Backup (an UPDATE by its service account) and its garbage
// collection's DeleteBackupRequest pass.
func testRequesterGate(t *testing.T, e *env) {
	ctx := context.Background()
	eve := e.userWith(t, "eve", false)
	reader := e.userWith(t, "reader", true)
	bob := e.userWith(t, "bob", false, operatorGroup)
	src := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "gate-src", Namespace: "velero"}, Spec: velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}}
	testenv.Must(t, e.admin.Create(ctx, src))
	objects := func(p string) map[string]client.Object {
		return map[string]client.Object{
			"backups":              &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: p + "-b", Namespace: "velero"}, Spec: velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}},
			"schedules":            &velerov1.Schedule{ObjectMeta: metav1.ObjectMeta{Name: p + "-s", Namespace: "velero"}, Spec: velerov1.ScheduleSpec{Schedule: "@daily", Template: velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}}},
			"restores":             &velerov1.Restore{ObjectMeta: metav1.ObjectMeta{Name: p + "-r", Namespace: "velero"}, Spec: velerov1.RestoreSpec{BackupName: src.Name}},
			"downloadrequests":     &velerov1.DownloadRequest{ObjectMeta: metav1.ObjectMeta{Name: p + "-d", Namespace: "velero"}, Spec: velerov1.DownloadRequestSpec{Target: velerov1.DownloadTarget{Kind: velerov1.DownloadTargetKindBackupContents, Name: src.Name}}},
			"deletebackuprequests": &velerov1.DeleteBackupRequest{ObjectMeta: metav1.ObjectMeta{Name: p + "-x", Namespace: "velero"}, Spec: velerov1.DeleteBackupRequestSpec{BackupName: src.Name}},
		}
	}
	if got, want := slices.Sorted(maps.Keys(objects("x"))), slices.Sorted(slices.Values(velerorules.RequesterResources())); !slices.Equal(got, want) {
		t.Fatalf("test objects for %v, velerorules.RequesterResources %v", got, want)
	}
	clusterAdminOnly := func(resource string) bool { return velerorules.RequesterAttributes(resource).Verb == "*" }
	for resource, o := range objects("eve") {
		power := "list secrets in every namespace"
		if clusterAdminOnly(resource) {
			power = "do everything in every namespace (cluster-admin)"
		}
		denied(t, "eve creates "+resource, eve.Create(ctx, o, client.DryRunAll),
			`"eve" may not create or change `+resource+" in velero", "webhook.veleroOperators", power)
	}
	dbr := objects("eve")["deletebackuprequests"]
	denied(t, "eve deletes a backup", eve.Create(ctx, dbr),
		`DeleteBackupRequest.velero.io "eve-x" is invalid: metadata: Forbidden: "eve" may not create or change deletebackuprequests in velero: Velero would delete the backup's data in the bucket for good`,
		"do everything in every namespace (cluster-admin)")
	for resource, o := range objects("reader") {
		err := reader.Create(ctx, o, client.DryRunAll)
		if clusterAdminOnly(resource) {
			denied(t, "reader creates "+resource, err, `"reader" may not create or change `+resource, "do everything in every namespace (cluster-admin)")
			continue
		}
		testenv.Must(t, err)
	}
	for who, c := range map[string]client.Client{"operator": bob, "velero": e.clients[veleroSA], "admin": e.admin} {
		for resource, o := range objects("ok") {
			if err := c.Create(ctx, o, client.DryRunAll); err != nil {
				t.Fatalf("%s creates %s: %v", who, resource, err)
			}
		}
	}
	// As Velero's garbage collection asks to delete an expired Backup.
	gc := &velerov1.DeleteBackupRequest{ObjectMeta: metav1.ObjectMeta{GenerateName: src.Name + "-", Namespace: "velero",
		Labels: map[string]string{velerov1.BackupNameLabel: src.Name}}, Spec: velerov1.DeleteBackupRequestSpec{BackupName: src.Name}}
	testenv.Must(t, e.clients[veleroSA].Create(ctx, gc, client.DryRunAll))
	s := objects("ops")["schedules"].(*velerov1.Schedule)
	testenv.Must(t, bob.Create(ctx, s))
	s.Spec.Template.IncludedNamespaces = []string{"*"}
	denied(t, "eve widens an operator's Schedule", eve.Update(ctx, s), `"eve" may not create or change schedules`)
	r := objects("ops")["restores"].(*velerov1.Restore)
	testenv.Must(t, bob.Create(ctx, r)) // no Velero runs here: it stays unstarted
	r.Spec.IncludedNamespaces = []string{"*"}
	denied(t, "eve widens an operator's pending Restore", eve.Update(ctx, r), `"eve" may not create or change restores`)
	// Velero's defaulting pass on a new Backup changes its spec.
	var b velerov1.Backup
	testenv.Must(t, e.admin.Get(ctx, client.ObjectKeyFromObject(src), &b))
	b.Spec.CSISnapshotTimeout = metav1.Duration{Duration: 600e9}
	if err := e.clients[veleroSA].Update(ctx, &b); err != nil && strings.Contains(err.Error(), "may not create or change") {
		t.Fatalf("Velero's own update of a Backup was gated: %v", err)
	}
}
