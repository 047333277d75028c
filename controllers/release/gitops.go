package release

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/renderer"
)

// A cluster whose Velero a GitOps tool manages is never fought over: before
// applying, the loop reads the metadata of the Velero Namespace and the
// velero Deployment and skips the cluster if either carries the tool's
// markers. It reads them only when it is about to apply (the digest
// changed or no inventory exists), so a current release costs nothing more.

// veleroDeployment is the Velero server Deployment's name (the chart's).
const veleroDeployment = renderer.VeleroDeploymentName

// Tools whose markers make the loop skip a cluster.
const (
	ToolArgoCD = "Argo CD"
	ToolFlux   = "Flux"
)

// gitopsMarkers are the labels, annotations and field managers each tool
// leaves on what it manages.
var gitopsMarkers = []struct {
	tool                         string
	labels, annotations, manager []string
}{
	{tool: ToolArgoCD, labels: []string{"argocd.argoproj.io/instance"}, annotations: []string{"argocd.argoproj.io/tracking-id"}, manager: []string{"argocd-controller"}},
	{tool: ToolFlux, labels: []string{"kustomize.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/name"}, manager: []string{"kustomize-controller", "helm-controller"}},
}

// gitopsOwner is a tool found managing a cluster's Velero.
type gitopsOwner struct {
	// Tool is ToolArgoCD or ToolFlux.
	Tool string
	// Evidence says what marks it ("label argocd.argoproj.io/instance on
	// Namespace velero").
	Evidence string
}

// detectGitOps reads the Velero Namespace and Deployment (metadata only;
// missing ones are fine) and returns the tool managing them, or nil.
func detectGitOps(ctx context.Context, c client.Client, ns string) (*gitopsOwner, error) {
	for _, o := range []struct {
		gvk       schema.GroupVersionKind
		key       client.ObjectKey
		described string
	}{
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, client.ObjectKey{Name: ns}, "Namespace " + ns},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, client.ObjectKey{Namespace: ns, Name: veleroDeployment}, "Deployment " + ns + "/" + veleroDeployment},
	} {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(o.gvk)
		if err := c.Get(ctx, o.key, m); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, fmt.Errorf("read %s for GitOps markers: %w", o.described, err)
		}
		if owner := gitopsMarked(m, o.described); owner != nil {
			return owner, nil
		}
	}
	return nil, nil
}

// gitopsMarked returns the tool whose markers m carries, or nil.
func gitopsMarked(m metav1.Object, described string) *gitopsOwner {
	for _, g := range gitopsMarkers {
		for _, l := range g.labels {
			if _, ok := m.GetLabels()[l]; ok {
				return &gitopsOwner{Tool: g.tool, Evidence: fmt.Sprintf("label %s on %s", l, described)}
			}
		}
		for _, a := range g.annotations {
			if _, ok := m.GetAnnotations()[a]; ok {
				return &gitopsOwner{Tool: g.tool, Evidence: fmt.Sprintf("annotation %s on %s", a, described)}
			}
		}
		for _, f := range m.GetManagedFields() {
			if slices.Contains(g.manager, f.Manager) {
				return &gitopsOwner{Tool: g.tool, Evidence: fmt.Sprintf("field manager %s on %s", f.Manager, described)}
			}
		}
	}
	return nil
}
