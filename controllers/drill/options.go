package drill

import (
	"flag"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Options, set by Options.Default.
const (
	// DefaultInterval is how often each cluster is drilled.
	DefaultInterval = 24 * time.Hour
	// DefaultMaxConcurrent caps the drills running at once, fleet-wide.
	DefaultMaxConcurrent = 2
	// DefaultTimeout bounds one drill's Restore.
	DefaultTimeout = 30 * time.Minute
	// DefaultCleanupTimeout bounds the wait for the scratch namespaces to
	// be gone.
	DefaultCleanupTimeout = 5 * time.Minute
	// DefaultTick is how often the scheduler looks for due clusters.
	DefaultTick = time.Minute
	// DefaultPollInterval is how often a running drill reads its Restore.
	DefaultPollInterval = 2 * time.Second
	// DefaultAmong picks the newest Completed backup.
	DefaultAmong = 1
	// DefaultMaxNamespaces bounds the scratch namespaces of one drill (the
	// plan's own default, core.DefaultMaxNamespaces).
	DefaultMaxNamespaces = core.DefaultMaxNamespaces
	// DefaultVeleroNamespace is Velero's namespace in user clusters.
	DefaultVeleroNamespace = kkpv1.VeleroNamespace
)

// Options configure drills (the controllers' config file's drill section).
// Zero values take the defaults named on each field (Default); durations
// are Go's strings in the file ("24h"; a number is nanoseconds).
type Options struct {
	// Enabled runs the scheduled drills. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// SigningKeyFile is the PEM PKCS #8 ed25519 private key that signs
	// every record (the seed chart mounts it from a Secret). Required.
	SigningKeyFile string `json:"signingKeyFile,omitempty"`
	// Interval is how often each cluster is drilled; the first drill of a
	// cluster without records is spread over one Interval (random), later
	// ones follow the last record by Interval ±10%. Default 24h.
	Interval duration.Duration `json:"interval,omitempty"`
	// MaxConcurrent caps the drills running at once across the fleet.
	// Default 2.
	MaxConcurrent int `json:"maxConcurrent,omitempty"`
	// Timeout bounds the wait for one drill's Restore. Default 30m.
	Timeout duration.Duration `json:"timeout,omitempty"`
	// CleanupTimeout bounds the wait for the scratch namespaces to be
	// deleted. Default 5m.
	CleanupTimeout duration.Duration `json:"cleanupTimeout,omitempty"`
	// Among picks the backup at random among the newest Among Completed
	// ones. Default 1: the newest.
	Among int `json:"among,omitempty"`
	// MaxNamespaces bounds the scratch namespaces of one drill. Default
	// DefaultMaxNamespaces.
	MaxNamespaces int `json:"maxNamespaces,omitempty"`
	// VeleroNamespace is Velero's namespace in user clusters. Default
	// "velero".
	VeleroNamespace string `json:"veleroNamespace,omitempty"`
	// Tick is how often the scheduler looks for due clusters. Default 1m.
	Tick duration.Duration `json:"tick,omitempty"`
	// PollInterval is how often a running drill reads its Restore. Default
	// 2s.
	PollInterval duration.Duration `json:"pollInterval,omitempty"`
}

// AddFlags binds the options to command-line flags. o must be defaulted
// (Default): each flag's default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "drills", o.Enabled, "run scheduled restore drills in the user clusters (docs/drills.md)")
	fs.StringVar(&o.SigningKeyFile, "drill-signing-key", o.SigningKeyFile, "PEM ed25519 private key `file` that signs drill records (required with --drills)")
	fs.DurationVar(&o.Interval.Duration, "drill-interval", o.Interval.Duration, "how often each cluster is drilled")
	fs.IntVar(&o.MaxConcurrent, "drill-max-concurrent", o.MaxConcurrent, "drills running at once across the fleet")
	fs.DurationVar(&o.Timeout.Duration, "drill-timeout", o.Timeout.Duration, "how long one drill's Restore may take")
	fs.IntVar(&o.Among, "drill-among", o.Among, "pick the backup at random among the newest N Completed ones (1: the newest)")
}

// Default fills every unset field with its default. Default is idempotent.
func (o *Options) Default() {
	if o.Interval.Duration == 0 {
		o.Interval.Duration = DefaultInterval
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Timeout.Duration == 0 {
		o.Timeout.Duration = DefaultTimeout
	}
	if o.CleanupTimeout.Duration == 0 {
		o.CleanupTimeout.Duration = DefaultCleanupTimeout
	}
	if o.Among == 0 {
		o.Among = DefaultAmong
	}
	if o.MaxNamespaces == 0 {
		o.MaxNamespaces = DefaultMaxNamespaces
	}
	if o.VeleroNamespace == "" {
		o.VeleroNamespace = DefaultVeleroNamespace
	}
	if o.Tick.Duration == 0 {
		o.Tick.Duration = DefaultTick
	}
	if o.PollInterval.Duration == 0 {
		o.PollInterval.Duration = DefaultPollInterval
	}
}

// Validate checks defaulted options and returns every broken setting named
// under fp, as in the configuration file (e.g. drill.signingKeyFile).
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if o.Enabled && o.SigningKeyFile == "" {
		errs = append(errs, field.Required(fp.Child("signingKeyFile"), "a signing key file is required when drills are enabled (--drill-signing-key)"))
	}
	if o.Interval.Duration < time.Minute {
		errs = append(errs, field.Invalid(fp.Child("interval"), o.Interval.String(), "must be at least 1m"))
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"maxConcurrent", o.MaxConcurrent}, {"among", o.Among}, {"maxNamespaces", o.MaxNamespaces}} {
		if n.v < 0 {
			errs = append(errs, field.Invalid(fp.Child(n.name), n.v, "must not be negative"))
		}
	}
	return errs
}

// plan returns the plan options.
func (o Options) plan() core.PlanOptions { return core.PlanOptions{MaxNamespaces: o.MaxNamespaces} }
