package cbslstatus

import (
	"flag"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Options, set by Options.Default.
const (
	// DefaultControllerName names the status loop's controller.
	DefaultControllerName = "cbsl-status"
	// DefaultPeriod is how often every CBSL is checked again.
	DefaultPeriod = 5 * time.Minute
	// DefaultWorkers is how many CBSLs are checked in parallel.
	DefaultWorkers = 4
)

// Options configure the CBSL status loop (the controllers' config file's
// status section).
type Options struct {
	// Enabled runs the loop. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// Period is how often every CBSL is checked again (±10%; "5m", a number
	// is nanoseconds). Default DefaultPeriod; at least 1s.
	Period duration.Duration `json:"period,omitempty"`
	// Workers is the number of CBSLs checked in parallel, so that a few
	// black-holed endpoints (each costing the check budget) do not delay
	// the others. Default DefaultWorkers.
	Workers int `json:"workers,omitempty"`
	// ControllerName names the controller (controller-runtime requires
	// names unique per process: tests running several managers give each
	// its own). Default DefaultControllerName.
	ControllerName string `json:"-"`
}

// AddFlags binds the options to command-line flags. o must be defaulted
// (Default): each flag's default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "cbsl-status-loop", o.Enabled, "run the reconciler that writes CBSL status from the reachability check")
	fs.DurationVar(&o.Period.Duration, "cbsl-status-period", o.Period.Duration, "how often the status loop re-checks every CBSL")
	fs.IntVar(&o.Workers, "cbsl-status-workers", o.Workers, "how many CBSLs the status loop checks in parallel")
}

// Default fills every unset field with its default. Default is idempotent.
func (o *Options) Default() {
	if o.Period.Duration == 0 {
		o.Period.Duration = DefaultPeriod
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.ControllerName == "" {
		o.ControllerName = DefaultControllerName
	}
}

// Validate checks defaulted options and returns every broken setting named
// under fp, as in the configuration file (e.g. status.period).
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if o.Period.Duration < time.Second {
		errs = append(errs, field.Invalid(fp.Child("period"), o.Period.String(), "must be at least 1s"))
	}
	if o.Workers < 0 {
		errs = append(errs, field.Invalid(fp.Child("workers"), o.Workers, "must not be negative"))
	}
	return errs
}
