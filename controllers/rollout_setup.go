package controllers

import (
	"fmt"
	"os"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/controllers/rollout"
)

// setupRollout adds rollout waves to the release loop rr when o enables
// them: the render configuration file is read again (the rollout stores
// the document itself, so a new leader can render the previous one).
func setupRollout(mgr manager.Manager, o Options, users release.Clients, rr *release.Reconciler) error {
	if !o.Rollout.Enabled {
		return nil
	}
	source, doc := "defaults", []byte(nil)
	if p := o.Release.RenderConfig; p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("rollout: release render configuration: %w", err)
		}
		source, doc = p, b
	}
	ro, err := rollout.New(mgr.GetClient(), mgr.GetAPIReader(), users, rr, o.Rollout, source, doc,
		mgr.GetEventRecorder("clusterbackup-rollout"), rollout.NewMetrics(metrics.Registry))
	if err != nil {
		return err
	}
	if err := mgr.Add(ro); err != nil {
		return fmt.Errorf("set up the rollout: %w", err)
	}
	return nil
}
