package seed

import (
	"flag"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
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
	DefaultCBSLNamespace = kkpv1.KKPNamespace
)

// Options configure the seed-side webhooks. Zero values take the documented
// defaults (Default). In a config file, durations are Go's strings ("3s").
// The seed's loops (CBSL status, credentials, fleet inventory, release) run
// in the controllers process (package controllers), not here.
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
}

// AddFlags binds the options to command-line flags.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	o.Default()
	fs.Var(&o.Mode, "cbsl-check-mode", "what a failed CBSL reachability check does at admission: enforce (deny) or warn (admit with a warning)")
	fs.StringVar(&o.CBSLNamespace, "cbsl-namespace", o.CBSLNamespace, "namespace of the ClusterBackupStorageLocations that Clusters reference")
	o.Check.AddFlags(fs)
	fs.BoolVar(&o.ProbeIsolation, "cbsl-check-probe-isolation", o.ProbeIsolation, "warn when a CBSL's credential can list the bucket root or a sibling prefix")
	fs.BoolVar(&o.CachedSecrets, "cbsl-cached-secrets", o.CachedSecrets, "read CBSL credential Secrets from the manager's informer cache (needs list/watch on secrets) instead of one API GET per admission")
}

// Default fills the unset fields with DefaultMode and
// DefaultCBSLNamespace, and the checker's with its own (s3check
// Options.Default).
func (o *Options) Default() {
	if o.Mode == "" {
		o.Mode = DefaultMode
	}
	if o.CBSLNamespace == "" {
		o.CBSLNamespace = DefaultCBSLNamespace
	}
	o.Check.Default()
}

// Validate checks the options, naming each broken setting under fp.
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if o.Mode != ModeEnforce && o.Mode != ModeWarn {
		errs = append(errs, field.NotSupported(fp.Child("mode"), o.Mode, []Mode{ModeEnforce, ModeWarn}))
	}
	return append(errs, o.Check.Validate(fp.Child("check"))...)
}

// complete fills defaults and rejects impossible settings.
func (o Options) complete() (Options, error) {
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		return o, errs.ToAggregate()
	}
	return o, nil
}
