// Package inventory runs the fleet backup inventory on the seed
// (internal/fleet): every Period it reads each Cluster's backups from object
// storage and exports the verdicts as clusterbackup_fleet_* metrics on the
// controllers' metrics endpoint. It reads no user cluster. RBAC: list
// clusters and clusterbackupstoragelocations, get secrets and list
// configmaps (the release loop's states, for the report's release column;
// without it releases are unknown) in the CBSL namespace.
//
// It runs in the controllers process, never in a webhook: each cluster's
// prefix is written by its tenant, and internal/fleet bounds what a scan
// keeps of it (names, phases, labels, metadata size; docs/fleet.md), so a
// hostile prefix costs the controllers a bounded amount of memory and
// cannot take an admission webhook down.
package inventory

import (
	"flag"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Options configure the fleet backup inventory (the controllers' config
// file's fleet section). Zero values take the defaults (Default).
type Options struct {
	// Enabled runs the inventory. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// Period is the time between two inventories ("5m"; a number is
	// nanoseconds). Default 5m (fleet.DefaultPeriod).
	Period duration.Duration `json:"period,omitempty"`
	// ValuesFile is a chart values file as given to `clusterbackup render
	// --values`; its schedules are the Schedules every cluster is judged
	// against. Default none: clusters are expected to back up every 24h.
	ValuesFile string `json:"valuesFile,omitempty"`
	// Inventory tunes each inventory (concurrency, time per cluster, reads);
	// its Checker is the seed's shared checker.
	Inventory fleet.Options `json:"-"`
}

// AddFlags binds the options to command-line flags. o must be defaulted
// (Default): each flag's default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "fleet-metrics", o.Enabled, "run the fleet backup inventory and export clusterbackup_fleet_* metrics (docs/fleet.md)")
	fs.DurationVar(&o.Period.Duration, "fleet-period", o.Period.Duration, "time between two fleet inventories")
	fs.StringVar(&o.ValuesFile, "fleet-values", o.ValuesFile, "chart values `file` (as for render --values) whose schedules every cluster is judged against")
}

// Default fills the unset Period with fleet.DefaultPeriod.
func (o *Options) Default() {
	if o.Period.Duration == 0 {
		o.Period.Duration = fleet.DefaultPeriod
	}
}

// Validate checks defaulted options and returns every broken setting named
// under fp, as in the configuration file (e.g. fleet.period).
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	if o.Period.Duration <= 0 {
		return field.ErrorList{field.Invalid(fp.Child("period"), o.Period.String(), "must be positive")}
	}
	return nil
}

// Setup adds the inventory runner to mgr and registers its collector with
// controller-runtime's metrics registry. The runner reads Clusters and CBSLs
// of cbslNamespace through the manager's API reader and credential Secrets
// through secrets; it runs on every replica (it only reads and exports).
func Setup(mgr manager.Manager, o Options, cbslNamespace string, secrets storage.SecretGetter, checker *s3check.Checker) error {
	var schedules []fleet.Schedule
	if f := o.ValuesFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--fleet-values: %w", err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("--fleet-values %s: %w", f, err)
		}
		if schedules, err = fleet.SchedulesFromValues(v); err != nil {
			return fmt.Errorf("--fleet-values %s: %w", f, err)
		}
	}
	inv := o.Inventory
	inv.Checker = checker
	col := metricsreg.Register(metrics.Registry, fleet.NewCollector())
	return mgr.Add(&fleet.Runner{
		Source:    fleet.SeedSource(mgr.GetAPIReader(), cbslNamespace, secrets, schedules),
		Collector: col,
		Period:    o.Period.Duration,
		Options:   inv,
		Log:       mgr.GetLogger().WithName("fleet"),
	})
}
