package release

import (
	"context"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestGitOpsMarked(t *testing.T) {
	for name, tc := range map[string]struct {
		meta metav1.ObjectMeta
		tool string
	}{
		"Argo CD instance label":   {meta: metav1.ObjectMeta{Labels: map[string]string{"argocd.argoproj.io/instance": "velero"}}, tool: ToolArgoCD},
		"Argo CD tracking id":      {meta: metav1.ObjectMeta{Annotations: map[string]string{"argocd.argoproj.io/tracking-id": "app:/Namespace:velero/velero"}}, tool: ToolArgoCD},
		"Argo CD field manager":    {meta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "argocd-controller"}}}, tool: ToolArgoCD},
		"Flux kustomization label": {meta: metav1.ObjectMeta{Labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "velero"}}, tool: ToolFlux},
		"Flux helm release label":  {meta: metav1.ObjectMeta{Labels: map[string]string{"helm.toolkit.fluxcd.io/name": "velero"}}, tool: ToolFlux},
		"Flux field manager":       {meta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "helm-controller"}}}, tool: ToolFlux},
		"our own render's annotations": {meta: metav1.ObjectMeta{Annotations: map[string]string{
			"argocd.argoproj.io/sync-options": "Prune=false", "kustomize.toolkit.fluxcd.io/prune": "disabled", KeepAnnotation: KeepValue,
		}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: DefaultFieldManager}, {Manager: "kubectl"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			got := gitopsMarked(&tc.meta, "Namespace velero")
			switch {
			case tc.tool == "" && got != nil:
				t.Fatalf("marked as managed by %+v", got)
			case tc.tool != "" && (got == nil || got.Tool != tc.tool || !strings.Contains(got.Evidence, "Namespace velero")):
				t.Fatalf("got %+v, want %s", got, tc.tool)
			}
		})
	}
}

// TestSkipped: a cluster whose Velero Namespace carries Argo CD's label, one
// whose Namespace Flux applied, and one the operator's selector excludes
// are left alone: nothing is created in them, they are reported skipped
// with the reason, and the excluded one is not even read.
func TestSkipped(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	cbsl := newCBSL("backups-skip", bucket, "skip")
	e.create(t, cbsl)

	const argo, flux, excluded = "argo5kq2zt", "flux8m3wpd", "excl4x9vbn"
	// Argo CD synced the Velero namespace of one user cluster.
	e.register(t, argo)
	testenv.Must(t, e.user.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "velero-argo", Labels: map[string]string{"argocd.argoproj.io/instance": "velero"}}}))
	// Flux's kustomize-controller applied another one.
	e.register(t, flux)
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: "velero-flux"}}
	testenv.Must(t, e.user.Client.Patch(ctx, ns, client.Apply, client.FieldOwner("kustomize-controller"))) //nolint:staticcheck // SA1019: an apply patch of a typed object is exactly what Flux's kustomize-controller sends
	// The excluded cluster has no kubeconfig at all: reading anything would fail.
	excl := newCluster(excluded, cbsl.Name)
	excl.Labels["clusterbackup.io/release"] = "manual"
	e.create(t, newCluster(argo, cbsl.Name), newCluster(flux, cbsl.Name), excl)

	for _, tc := range []struct {
		id, ns, reason string
	}{
		{argo, "velero-argo", "managed by Argo CD (label argocd.argoproj.io/instance on Namespace velero-argo)"},
		{flux, "velero-flux", "managed by Flux (field manager kustomize-controller on Namespace velero-flux)"},
		{excluded, "velero-excluded", "excluded by selector clusterbackup.io/release=manual"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			l := e.newLoop(t, Options{VeleroNamespace: tc.ns, ExcludeSelector: "clusterbackup.io/release=manual"}, Settings{})
			l.mustReconcile(t, tc.id)
			if st := l.wantPhase(t, tc.id, PhaseSkipped); st.Reason != tc.reason {
				t.Fatalf("reason %q, want %q", st.Reason, tc.reason)
			}
			if n := l.users.count(tc.id); n.writes.Load() != 0 || (tc.id == excluded && n.reads.Load() != 0) {
				t.Fatalf("%d reads, %d writes in the user cluster", n.reads.Load(), n.writes.Load())
			}
			if e.userGet(t, gvkConfigMap, tc.ns, InventoryName) != nil || e.userGet(t, gvkDeployment, tc.ns, "velero") != nil {
				t.Fatal("the loop applied into a skipped cluster")
			}
			if v, ok := l.gauge(t, MetricState, map[string]string{"cluster": tc.id, "project": projectID, "state": string(PhaseSkipped)}); !ok || v != 1 {
				t.Fatalf("%s{state=skipped} = %v (present %v)", MetricState, v, ok)
			}
			e.waitEvent(t, tc.id, ReasonSkipped, tc.reason)
			// Skipping again is no news.
			l.mustReconcile(t, tc.id)
			if n := l.events.total(tc.id); n != 1 {
				t.Fatalf("two skips recorded %d Events, want 1", n)
			}
		})
	}
}
