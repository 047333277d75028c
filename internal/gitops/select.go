package gitops

import (
	"context"
	"fmt"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// Select returns the input of cluster id, or the only input when id is "".
// An Argo CD Application or a KRM function renders one cluster: a second
// cluster's objects would collide with the first's (same names, CRDs).
func Select(fleet []renderer.Input, id string) (renderer.Input, error) {
	ids := make([]string, len(fleet))
	for i, in := range fleet {
		if in.ClusterID() == id {
			return in, nil
		}
		ids[i] = in.ClusterID()
	}
	if id == "" {
		if len(fleet) == 1 {
			return fleet[0], nil
		}
		return renderer.Input{}, fmt.Errorf("the inputs hold %d clusters (%s); set parameter %q to the one to render", len(fleet), strings.Join(ids, ", "), settings.ParamCluster)
	}
	return renderer.Input{}, fmt.Errorf("parameter %s=%q: no such Cluster among the inputs; clusters: %s", settings.ParamCluster, id, strings.Join(ids, ", "))
}

// Render renders the cluster the parameters select from a validated fleet
// with the options and the life cycle the parameters map to; cbsls are the
// inputs' ClusterBackupStorageLocations (where previousLocations are looked
// up).
func Render(ctx context.Context, fleet []renderer.Input, cbsls []input.Sourced[*kkpv1.ClusterBackupStorageLocation], p *settings.Params) (renderer.Result, error) {
	opts, err := p.Options()
	if err != nil {
		return renderer.Result{}, err
	}
	in, err := Select(fleet, p.Get(settings.ParamCluster))
	if err != nil {
		return renderer.Result{}, err
	}
	lc, err := Lifecycle(p, in, cbsls)
	if err != nil {
		return renderer.Result{}, err
	}
	opts.Single = true
	r, err := renderer.New(opts)
	if err != nil {
		return renderer.Result{}, err
	}
	return r.RenderLifecycle(ctx, in, lc)
}
