package gitops

import (
	"fmt"
	"slices"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// Lifecycle maps p's parameters lifecycle and previousLocations onto the life
// cycle of cluster in, looking the previous locations up by name among
// cbsls (the inputs' ClusterBackupStorageLocations). The defaults map to
// the zero Lifecycle: a plain render. Errors name the parameter and its
// source.
func Lifecycle(p *settings.Params, in renderer.Input, cbsls []input.Sourced[*kkpv1.ClusterBackupStorageLocation]) (renderer.Lifecycle, error) {
	var lc renderer.Lifecycle
	switch v := p.Get(settings.ParamLifecycle); v {
	case settings.LifecycleEnabled:
	case settings.LifecycleDisabled:
		lc.Disabled = true
	case settings.LifecyclePurged:
		lc.Disabled, lc.Purge = true, true
	default:
		return lc, fmt.Errorf("parameter %s=%q (from %s): must be %s, %s or %s", settings.ParamLifecycle, v, p.Source(settings.ParamLifecycle), settings.LifecycleEnabled, settings.LifecycleDisabled, settings.LifecyclePurged)
	}
	bad := func(rule string) error {
		return fmt.Errorf("parameter %s=%q (from %s): %s", settings.ParamPreviousLocations, p.Get(settings.ParamPreviousLocations), p.Source(settings.ParamPreviousLocations), rule)
	}
	for _, name := range p.List(settings.ParamPreviousLocations) {
		i := slices.IndexFunc(cbsls, func(c input.Sourced[*kkpv1.ClusterBackupStorageLocation]) bool { return c.Object.Name == name })
		switch {
		case i < 0:
			names := make([]string, len(cbsls))
			for j, c := range cbsls {
				names[j] = c.Object.Name
			}
			return lc, bad(fmt.Sprintf("no ClusterBackupStorageLocation %q among the inputs; add the old CBSL to the inputs (CBSLs: %s)", name, strings.Join(names, ", ")))
		case in.CBSL != nil && name == in.CBSL.Name:
			return lc, bad(fmt.Sprintf("%q is the CBSL cluster %s uses now, not a previous one", name, in.ClusterID()))
		}
		lc.Previous = append(lc.Previous, renderer.PreviousLocation{CBSL: cbsls[i].Object})
	}
	return lc, nil
}
