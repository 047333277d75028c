package admissionpolicy

import (
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// restoreWarningsPolicy warns (binding validationActions Warn) about a
// Restore that brings back cluster-scoped RBAC.
const (
	restoreWarningsPolicy = "clusterbackup-restore-warnings"
	clusterRBACWarning    = "may bring back cluster-scoped RBAC (ClusterRoles, ClusterRoleBindings)"
)

// mappedRestore is a Restore of Backup b1 whose namespaceMapping maps src to
// dst.
func mappedRestore(name, src, dst string) *velerov1.Restore {
	r := restore(name, "b1", "")
	r.Spec.NamespaceMapping = map[string]string{src: dst}
	return r
}

// testRestoreGuardrails: no namespaceMapping into kube-system,
// kube-node-lease, kube-public or the Velero namespace, on CREATE and on an
// UPDATE that changes the mapping; a namespace restored into itself and
// mappings elsewhere pass; Velero's writes to an admitted Restore pass. No
// managed editor is configured here, so nobody is exempt (the escape hatch
// is in TestDifferentialPoliciesVsWebhook).
func testRestoreGuardrails(t *testing.T, c *cluster) {
	for _, dst := range []string{"kube-system", "kube-node-lease", "kube-public", sampleNamespace} {
		t.Run("into "+dst, func(t *testing.T) {
			r := mappedRestore("map-"+dst, "app", dst)
			wantDenied(t, c.Client.Create(c.ctx, r, client.DryRunAll), restorePolicy, "Restore velero/"+r.Name,
				`spec.namespaceMapping[app] restores namespace "app" into "`+dst+`"`,
				"kube-system, kube-node-lease, kube-public and velero are reserved",
				"only the managed editors (webhook.managedBSLEditors, managedBSLEditorGroups)")
		})
	}
	allowed := map[string]*velerov1.Restore{
		"into another namespace":           mappedRestore("map-other", "app", "app-restored"),
		"kube-public into itself":          mappedRestore("map-self", "kube-public", "kube-public"),
		"kube-system into a new namespace": mappedRestore("map-from-system", "kube-system", "kube-system-copy"),
	}
	back := restore("back-into-public", "b1", "")
	back.Spec.IncludedNamespaces = []string{"kube-public"}
	back.Spec.IncludedResources = []string{"configmaps"}
	allowed["back into kube-public, no mapping (KKP's e2e)"] = back
	for name, r := range allowed {
		t.Run(name, func(t *testing.T) { wantAllowed(t, c.Client.Create(c.ctx, r, client.DryRunAll)) })
	}
	t.Run("update", func(t *testing.T) {
		r := mappedRestore("map-update", "app", "app-2")
		wantAllowed(t, c.Client.Create(c.ctx, r))
		bad := r.DeepCopy()
		bad.Spec.NamespaceMapping["app"] = "kube-system"
		wantDenied(t, c.Client.Update(c.ctx, bad, client.DryRunAll), restorePolicy, `spec.namespaceMapping[app] restores namespace "app" into "kube-system"`)
		added := r.DeepCopy()
		added.Spec.NamespaceMapping["db"] = sampleNamespace
		wantDenied(t, c.Client.Update(c.ctx, added, client.DryRunAll), restorePolicy, `spec.namespaceMapping[db] restores namespace "db" into "velero"`)
		r.Status.Phase = velerov1.RestorePhaseInProgress
		wantAllowed(t, c.Velero.Update(c.ctx, r))
	})
}

// testRestoreWarnings: the Warn binding answers a Restore that brings back
// cluster-scoped RBAC with a warning and admits it; one restoring some
// namespaces without cluster resources gets none.
func testRestoreWarnings(t *testing.T, c *cluster) {
	yes, no := true, false
	tests := map[string]struct {
		edit func(*velerov1.RestoreSpec)
		warn bool
	}{
		"the whole backup": {edit: func(*velerov1.RestoreSpec) {}, warn: true},
		"some namespaces":  {edit: func(s *velerov1.RestoreSpec) { s.IncludedNamespaces = []string{"app"} }},
		"some namespaces with cluster resources": {edit: func(s *velerov1.RestoreSpec) {
			s.IncludedNamespaces = []string{"app"}
			s.IncludeClusterResources = &yes
		}, warn: true},
		"cluster resources off": {edit: func(s *velerov1.RestoreSpec) { s.IncludeClusterResources = &no }},
		"bindings by their full name": {edit: func(s *velerov1.RestoreSpec) {
			s.IncludedResources = []string{"ClusterRoleBindings.rbac.authorization.k8s.io"}
		}, warn: true},
		"both excluded":   {edit: func(s *velerov1.RestoreSpec) { s.ExcludedResources = []string{"clusterroles", "clusterrolebinding"} }},
		"ConfigMaps only": {edit: func(s *velerov1.RestoreSpec) { s.IncludedResources = []string{"configmaps"} }},
	}
	i := 0
	for name, tc := range tests {
		i++
		t.Run(name, func(t *testing.T) {
			cl, w := kubeenv.WarningClient(t, c.Config)
			r := restore(sprintf("rbac-%d", i), "b1", "")
			tc.edit(&r.Spec)
			wantAllowed(t, cl.Create(c.ctx, r, client.DryRunAll))
			got := w.String()
			if warned := strings.Contains(got, clusterRBACWarning); warned != tc.warn {
				t.Fatalf("warned %v, want %v; warnings: %q", warned, tc.warn, got)
			}
			if tc.warn && !strings.Contains(got, "'"+restoreWarningsPolicy+"'") {
				t.Fatalf("warning not from %s: %q", restoreWarningsPolicy, got)
			}
			t.Logf("warnings: %q", got)
		})
	}
}

// waitWarning polls until the Warn binding of the restore warnings is
// effective.
func (c *cluster) waitWarning(t testing.TB) {
	t.Helper()
	cl, w := kubeenv.WarningClient(t, c.Config)
	err := wait.PollUntilContextTimeout(c.ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := cl.Create(ctx, restore("probe-warning", "b1", ""), client.DryRunAll); err != nil {
			return false, nil
		}
		return strings.Contains(w.String(), clusterRBACWarning), nil
	})
	if err != nil {
		t.Fatalf("policy %s never warned; warnings so far: %q", restoreWarningsPolicy, w.String())
	}
}
