package seed

import (
	"flag"
	"fmt"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/webhook/seed/credentials"
)

// Mode says what a failed reachability check does at admission.
type Mode string

// Modes.
const (
	// ModeEnforce denies the request, naming the failure.
	ModeEnforce Mode = "enforce"
	// ModeWarn admits the request with an admission warning.
	ModeWarn Mode = "warn"
)

// String implements flag.Value.
func (m *Mode) String() string { return string(*m) }

// Set implements flag.Value.
func (m *Mode) Set(v string) error {
	switch Mode(v) {
	case ModeEnforce, ModeWarn:
		*m = Mode(v)
		return nil
	}
	return fmt.Errorf("mode must be %q or %q, not %q", ModeEnforce, ModeWarn, v)
}

// Defaults of Options.
const (
	DefaultMode          = ModeEnforce
	DefaultCBSLNamespace = "kubermatic"
	DefaultStatusPeriod  = 5 * time.Minute
)

// Options configure the seed-side webhook. Zero values take the documented
// defaults. In a config file, durations are nanoseconds (prefer the flags).
type Options struct {
	// Mode is what a failed reachability check does: ModeEnforce (deny) or
	// ModeWarn (admit with a warning). Validation errors always deny.
	// Default ModeEnforce.
	Mode Mode `json:"mode,omitempty"`
	// CBSLNamespace is where the CBSLs named by Clusters live (KKP keeps
	// them in "kubermatic"). Default "kubermatic".
	CBSLNamespace string `json:"cbslNamespace,omitempty"`
	// Check configures the reachability checker: budget (default 3s), cache
	// TTL (default 60s), failure TTL (default 10s) and the endpoint policy
	// (default: deny loopback, link-local, metadata, unspecified and
	// multicast addresses and the seed's own interface addresses; no
	// allowlist; add the pod and service CIDRs to Policy.Deny, flag
	// --cbsl-check-deny-cidr). Ignored when Checker is set.
	Check s3check.Options `json:"check,omitempty"`
	// Checker, when set, is used instead of a new one built from Check, so
	// that several parts of a process share one cache.
	Checker *s3check.Checker `json:"-"`
	// ProbeIsolation also checks that a CBSL's credential cannot list the
	// bucket root or a sibling prefix, and warns when it can. Default false
	// (a CBSL's credential normally spans all its clusters).
	ProbeIsolation bool `json:"probeIsolation,omitempty"`
	// CachedSecrets reads credential Secrets through the manager's informer
	// cache instead of one API GET per admission. Faster (the GET dominates a
	// cached admission), but the manager then watches Secrets: restrict its
	// cache to CBSLNamespace (cache.Options.ByObject) and grant list/watch
	// on secrets there. Default false.
	CachedSecrets bool `json:"cachedSecrets,omitempty"`
	// StatusLoop enables the CBSL status reconciler. Default false.
	StatusLoop bool `json:"statusLoop,omitempty"`
	// StatusControllerName names the status loop's controller (unique per
	// process; tests running several managers give each its own). Default
	// StatusControllerName.
	StatusControllerName string `json:"-"`
	// StatusPeriod is how often the status loop re-checks every CBSL.
	// Default 5m.
	StatusPeriod time.Duration `json:"statusPeriod,omitempty"`
	// StatusWorkers is how many CBSLs the status loop checks in parallel.
	// Default 4.
	StatusWorkers int `json:"statusWorkers,omitempty"`
	// Credentials configure the loop that delivers storage credentials and
	// repository passwords into user clusters (package
	// webhook/seed/credentials; off unless Credentials.Enabled). Its
	// defaults are documented on credentials.Options.
	Credentials credentials.Options `json:"credentials,omitempty"`
	// Fleet configures the fleet backup inventory and its metrics.
	Fleet FleetOptions `json:"fleet,omitempty"`
}

// AddFlags binds the options to command-line flags.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	if o.Mode == "" {
		o.Mode = DefaultMode
	}
	fs.Var(&o.Mode, "cbsl-check-mode", "what a failed CBSL reachability check does at admission: enforce (deny) or warn (admit with a warning)")
	fs.StringVar(&o.CBSLNamespace, "cbsl-namespace", or(o.CBSLNamespace, DefaultCBSLNamespace), "namespace of the ClusterBackupStorageLocations that Clusters reference")
	fs.DurationVar(&o.Check.Budget, "cbsl-check-budget", or(o.Check.Budget, s3check.DefaultBudget), "hard time limit of one S3 reachability check, retries included; keep it under the webhook's timeoutSeconds")
	fs.DurationVar(&o.Check.CacheTTL, "cbsl-check-cache-ttl", or(o.Check.CacheTTL, s3check.DefaultCacheTTL), "how long a successful check result is reused (negative: never)")
	fs.DurationVar(&o.Check.FailureTTL, "cbsl-check-failure-ttl", or(o.Check.FailureTTL, s3check.DefaultFailureTTL), "how long a failed check result is reused (negative: never)")
	fs.Var(&o.Check.Policy.Allow, "cbsl-check-allow-cidr", "CIDR or address the S3 check may dial although the built-in rules deny it (loopback, link-local, ...; the seed's own addresses and metadata addresses only by their exact address); repeatable, comma-separated")
	fs.Var(&o.Check.Policy.Deny, "cbsl-check-deny-cidr", "CIDR the S3 check must never dial, even when allowlisted (e.g. pod and service networks); repeatable, comma-separated")
	fs.BoolVar(&o.ProbeIsolation, "cbsl-check-probe-isolation", o.ProbeIsolation, "warn when a CBSL's credential can list the bucket root or a sibling prefix")
	fs.BoolVar(&o.CachedSecrets, "cbsl-cached-secrets", o.CachedSecrets, "read CBSL credential Secrets from the manager's informer cache (needs list/watch on secrets) instead of one API GET per admission")
	fs.BoolVar(&o.StatusLoop, "cbsl-status-loop", o.StatusLoop, "run the reconciler that writes CBSL status from the reachability check")
	fs.DurationVar(&o.StatusPeriod, "cbsl-status-period", or(o.StatusPeriod, DefaultStatusPeriod), "how often the status loop re-checks every CBSL")
	fs.IntVar(&o.StatusWorkers, "cbsl-status-workers", or(o.StatusWorkers, DefaultStatusWorkers), "how many CBSLs the status loop checks in parallel")
	o.Credentials.AddFlags(fs)
	o.Fleet.AddFlags(fs)
}

// complete fills defaults and rejects impossible settings.
func (o Options) complete() (Options, error) {
	o.Mode = or(o.Mode, DefaultMode)
	if err := new(Mode).Set(string(o.Mode)); err != nil {
		return o, err
	}
	o.CBSLNamespace = or(o.CBSLNamespace, DefaultCBSLNamespace)
	o.StatusPeriod = or(o.StatusPeriod, DefaultStatusPeriod)
	o.StatusWorkers = or(o.StatusWorkers, DefaultStatusWorkers)
	if o.StatusPeriod < time.Second {
		return o, fmt.Errorf("status period %s is too short", o.StatusPeriod)
	}
	var err error
	if o.Credentials, err = o.Credentials.Complete(); err != nil {
		return o, err
	}
	return o, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
