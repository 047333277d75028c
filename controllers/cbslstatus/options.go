package cbslstatus

import (
	"flag"
	"fmt"
	"time"
)

// Defaults of Options.
const (
	// DefaultControllerName names the status loop's controller.
	DefaultControllerName = "cbsl-status"
	// DefaultPeriod is how often every CBSL is checked again.
	DefaultPeriod = 5 * time.Minute
	// DefaultWorkers is how many CBSLs are checked in parallel.
	DefaultWorkers = 4
)

// Options configure the CBSL status loop.
type Options struct {
	// Enabled runs the loop. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// Period is how often every CBSL is checked again (±10%). Default
	// DefaultPeriod; at least 1s.
	Period time.Duration `json:"period,omitempty"`
	// Workers is the number of CBSLs checked in parallel, so that a few
	// black-holed endpoints (each costing the check budget) do not delay
	// the others. Default DefaultWorkers.
	Workers int `json:"workers,omitempty"`
	// ControllerName names the controller (controller-runtime requires
	// names unique per process: tests running several managers give each
	// its own). Default DefaultControllerName.
	ControllerName string `json:"-"`
}

// AddFlags binds the options to command-line flags.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	c, _ := o.Complete()
	fs.BoolVar(&o.Enabled, "cbsl-status-loop", o.Enabled, "run the reconciler that writes CBSL status from the reachability check")
	fs.DurationVar(&o.Period, "cbsl-status-period", c.Period, "how often the status loop re-checks every CBSL")
	fs.IntVar(&o.Workers, "cbsl-status-workers", c.Workers, "how many CBSLs the status loop checks in parallel")
}

// Complete returns o with the defaults filled in, or why it is unusable.
func (o Options) Complete() (Options, error) {
	if o.Period == 0 {
		o.Period = DefaultPeriod
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.ControllerName == "" {
		o.ControllerName = DefaultControllerName
	}
	if o.Period < time.Second {
		return o, fmt.Errorf("cbsl status loop: period %s is too short (at least 1s)", o.Period)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("cbsl status loop: workers %d must be positive", o.Workers)
	}
	return o, nil
}
