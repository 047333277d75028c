package drill

import (
	"flag"
	"fmt"
	"time"

	core "github.com/clusterbackup/clusterbackup/internal/drill"
)

// Defaults of Options.
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
	// DefaultVeleroNamespace is Velero's namespace in user clusters.
	DefaultVeleroNamespace = "velero"
)

// Options configure drills. Zero values take the defaults named on each
// field (Complete).
type Options struct {
	// Enabled runs the scheduled drills. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// SigningKeyFile is the PEM PKCS #8 ed25519 private key that signs
	// every record (the seed chart mounts it from a Secret). Required.
	SigningKeyFile string `json:"signingKeyFile,omitempty"`
	// Interval is how often each cluster is drilled; the first drill of a
	// cluster without records is spread over one Interval (random), later
	// ones follow the last record by Interval ±10%. Default 24h.
	Interval time.Duration `json:"interval,omitempty"`
	// MaxConcurrent caps the drills running at once across the fleet.
	// Default 2.
	MaxConcurrent int `json:"maxConcurrent,omitempty"`
	// Timeout bounds the wait for one drill's Restore. Default 30m.
	Timeout time.Duration `json:"timeout,omitempty"`
	// CleanupTimeout bounds the wait for the scratch namespaces to be
	// deleted. Default 5m.
	CleanupTimeout time.Duration `json:"cleanupTimeout,omitempty"`
	// Among picks the backup at random among the newest Among Completed
	// ones. Default 1: the newest.
	Among int `json:"among,omitempty"`
	// MaxNamespaces bounds the scratch namespaces of one drill. Default 10.
	MaxNamespaces int `json:"maxNamespaces,omitempty"`
	// VeleroNamespace is Velero's namespace in user clusters. Default
	// "velero".
	VeleroNamespace string `json:"veleroNamespace,omitempty"`
	// Tick is how often the scheduler looks for due clusters. Default 1m.
	Tick time.Duration `json:"tick,omitempty"`
	// PollInterval is how often a running drill reads its Restore. Default
	// 2s.
	PollInterval time.Duration `json:"pollInterval,omitempty"`
}

// AddFlags binds the options to command-line flags.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "drills", o.Enabled, "run scheduled restore drills in the user clusters (docs/drills.md)")
	fs.StringVar(&o.SigningKeyFile, "drill-signing-key", o.SigningKeyFile, "PEM ed25519 private key `file` that signs drill records (required with --drills)")
	fs.DurationVar(&o.Interval, "drill-interval", o.Interval, "how often each cluster is drilled (default 24h)")
	fs.IntVar(&o.MaxConcurrent, "drill-max-concurrent", o.MaxConcurrent, "drills running at once across the fleet (default 2)")
	fs.DurationVar(&o.Timeout, "drill-timeout", o.Timeout, "how long one drill's Restore may take (default 30m)")
	fs.IntVar(&o.Among, "drill-among", o.Among, "pick the backup at random among the newest N Completed ones (default 1: the newest)")
}

// Complete applies the defaults and checks the options.
func (o Options) Complete() (Options, error) {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.CleanupTimeout == 0 {
		o.CleanupTimeout = DefaultCleanupTimeout
	}
	if o.Among == 0 {
		o.Among = 1
	}
	if o.VeleroNamespace == "" {
		o.VeleroNamespace = DefaultVeleroNamespace
	}
	if o.Tick == 0 {
		o.Tick = DefaultTick
	}
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Second
	}
	switch {
	case o.Interval < time.Minute:
		return o, fmt.Errorf("drill interval %s: must be at least 1m", o.Interval)
	case o.MaxConcurrent < 0 || o.Among < 0 || o.MaxNamespaces < 0:
		return o, fmt.Errorf("drill max concurrent, among and max namespaces must not be negative")
	case o.Enabled && o.SigningKeyFile == "":
		return o, fmt.Errorf("drills: a signing key file is required (--drill-signing-key)")
	}
	return o, nil
}

// plan returns the plan options.
func (o Options) plan() core.PlanOptions { return core.PlanOptions{MaxNamespaces: o.MaxNamespaces} }
