package gitops

import (
	"fmt"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"slices"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// Lifecycle maps parameters lifecycle and previousLocations onto the life
// cycle of cluster in, looking the previous locations up by name among
// cbsls (the inputs' ClusterBackupStorageLocations). The defaults map to
// the zero Lifecycle: a plain render. Errors name the parameter and its
// source.
func (p *Params) Lifecycle(in renderer.Input, cbsls []input.Sourced[*kkpv1.ClusterBackupStorageLocation]) (renderer.Lifecycle, error) {
	var lc renderer.Lifecycle
	switch v := p.Get(ParamLifecycle); v {
	case LifecycleEnabled:
	case LifecycleDisabled:
		lc.Disabled = true
	case LifecyclePurged:
		lc.Disabled, lc.Purge = true, true
	default:
		return lc, fmt.Errorf("parameter %s=%q (from %s): must be %s, %s or %s", ParamLifecycle, v, p.Source(ParamLifecycle), LifecycleEnabled, LifecycleDisabled, LifecyclePurged)
	}
	bad := func(rule string) error {
		return fmt.Errorf("parameter %s=%q (from %s): %s", ParamPreviousLocations, p.Get(ParamPreviousLocations), p.Source(ParamPreviousLocations), rule)
	}
	for _, name := range p.List(ParamPreviousLocations) {
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
