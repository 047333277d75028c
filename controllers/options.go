package controllers

import (
	"flag"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/config"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/cbslstatus"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/controllers/drill"
	"github.com/clusterbackup/clusterbackup/controllers/inventory"
	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/controllers/rollout"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// Defaults of Options, set by Options.Default (the one place they are
// written: the controllers command binds its flags to the defaulted
// Options).
const (
	// DefaultCBSLNamespace is where KKP keeps CBSLs and their Secrets.
	DefaultCBSLNamespace = kkpv1.KKPNamespace
)

// Options configure the seed's controllers process: the typed configuration
// of `clusterbackup controllers` (its --config file, its flags). Zero values
// take the defaults named on each field (Default); each loop is off unless
// enabled. Durations are Go's strings in the file ("25s", "5m"); a bare
// number is still read as nanoseconds.
type Options struct {
	// CBSLNamespace is where the CBSLs named by Clusters, their credential
	// Secrets and the seed's own per-cluster state live. Default
	// DefaultCBSLNamespace.
	CBSLNamespace string `json:"cbslNamespace,omitempty"`
	// Check configures the reachability checker the status loop and the
	// fleet inventory share (the --cbsl-check-* flags, as the seed
	// webhook's). Ignored when Checker is set.
	Check s3check.Options `json:"check,omitempty"`
	// Checker, when set, is used instead of a new one built from Check.
	Checker *s3check.Checker `json:"-"`
	// ProbeIsolation adds the credential isolation probe to status checks.
	ProbeIsolation bool `json:"probeIsolation,omitempty"`
	// Status configures the CBSL status loop.
	Status cbslstatus.Options `json:"status,omitempty"`
	// Credentials configure the credentials and repository password loop.
	Credentials credentials.Options `json:"credentials,omitempty"`
	// Fleet configures the fleet backup inventory and its metrics.
	Fleet inventory.Options `json:"fleet,omitempty"`
	// Release configures the release loop, which renders and applies each
	// enabled cluster's Velero release into its user cluster.
	Release release.Options `json:"release,omitempty"`
	// Rollout moves clusters to a changed release render configuration in
	// waves with health gates (needs the release loop).
	Rollout rollout.Options `json:"rollout,omitempty"`
	// Drill configures scheduled restore drills in the user clusters
	// (docs/drills.md).
	Drill drill.Options `json:"drill,omitempty"`
	// Users configures how every loop reaches user clusters: the kubeconfig
	// Secret, and the time, size and rate budget of each cluster's answers.
	Users userclient.Options `json:"users,omitempty"`
	// Serving holds the health, metrics and pprof addresses and the shutdown
	// timeout (how long the loops may finish after a stop signal), at the
	// top level of the configuration file.
	process.Serving
	// LeaderElection runs the loops on one replica only, the holder of the
	// Lease LeaderElectionID in LeaderElectionNamespace; health, metrics and
	// the fleet inventory run on every replica. RBAC: get/create/update on
	// coordination.k8s.io leases and create/patch on core events in
	// LeaderElectionNamespace. Default false (the seed chart turns it on).
	LeaderElection bool `json:"leaderElection,omitempty"`
	// LeaderElectionID names the Lease. Default DefaultLeaderElectionID.
	LeaderElectionID string `json:"leaderElectionID,omitempty"`
	// Controller is controller-runtime's configuration of every loop (tests
	// running several processes' loops in one set SkipNameValidation).
	Controller config.Controller `json:"-"`
	// LeaderElectionNamespace holds the Lease. Default the Pod's namespace;
	// required with LeaderElection outside a Pod.
	LeaderElectionNamespace string `json:"leaderElectionNamespace,omitempty"`
}

// AddFlags binds every option to a command-line flag. o must be defaulted
// (Default): each flag's default is the field's value, so the defaults are
// written once and a --config file's values show as the flags' defaults.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.CBSLNamespace, "cbsl-namespace", o.CBSLNamespace, "namespace of the ClusterBackupStorageLocations, their Secrets and the seed's per-cluster state")
	o.Check.AddFlags(fs)
	fs.BoolVar(&o.ProbeIsolation, "cbsl-check-probe-isolation", o.ProbeIsolation, "status loop: warn when a CBSL's credential can list the bucket root or a sibling prefix")
	o.Serving.AddFlags(fs, "the loops")
	fs.BoolVar(&o.LeaderElection, "leader-elect", o.LeaderElection, "run the loops only on the replica holding a Lease (the seed chart turns it on)")
	fs.StringVar(&o.LeaderElectionID, "leader-elect-id", o.LeaderElectionID, "name of the leader election Lease")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-elect-namespace", o.LeaderElectionNamespace, "namespace of the leader election Lease (default: the Pod's; required outside a Pod)")
	o.Users.AddFlags(fs)
	o.Status.AddFlags(fs)
	o.Credentials.AddFlags(fs)
	o.Fleet.AddFlags(fs)
	o.Release.AddFlags(fs)
	o.Rollout.AddFlags(fs)
	o.Drill.AddFlags(fs)
}

// Default fills every unset field that has a fixed default, of the process
// and of every loop (each loop's Options.Default), and gives the release
// loop the CBSL namespace as its state namespace. Fields set already, e.g.
// from a --config file, stay. Default is idempotent; the Lease's namespace
// is found at Complete (the Pod's).
func (o *Options) Default() {
	if o.CBSLNamespace == "" {
		o.CBSLNamespace = DefaultCBSLNamespace
	}
	o.Serving.Default()
	if o.LeaderElectionID == "" {
		o.LeaderElectionID = DefaultLeaderElectionID
	}
	o.Check.Default()
	o.Users.Default()
	o.Status.Default()
	o.Credentials.Default()
	o.Fleet.Default()
	o.Release.StateNamespace = o.CBSLNamespace
	o.Release.Default()
	o.Rollout.Default()
	o.Drill.Default()
}

// Validate checks defaulted options and returns every broken setting,
// named by its path in the configuration file (e.g. release.resyncPeriod,
// drill.signingKeyFile): the process's and every loop's.
func (o *Options) Validate() field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(o.CBSLNamespace) {
		errs = append(errs, field.Invalid(field.NewPath("cbslNamespace"), o.CBSLNamespace, msg))
	}
	errs = append(errs, o.Serving.Validate(nil)...)
	if o.LeaderElection && o.LeaderElectionNamespace == "" {
		errs = append(errs, field.Required(field.NewPath("leaderElectionNamespace"), "leader election needs the namespace of its Lease (--leader-elect-namespace) when not running in a Pod"))
	}
	if o.Rollout.Enabled && !o.Release.Enabled {
		errs = append(errs, field.Invalid(field.NewPath("rollout", "enabled"), true, "rollout waves (--rollout) need the release loop (release.enabled, --release-loop)"))
	}
	errs = append(errs, o.Check.Validate(field.NewPath("check"))...)
	errs = append(errs, o.Users.Validate(field.NewPath("users"))...)
	errs = append(errs, o.Status.Validate(field.NewPath("status"))...)
	errs = append(errs, o.Credentials.Validate(field.NewPath("credentials"))...)
	errs = append(errs, o.Fleet.Validate(field.NewPath("fleet"))...)
	errs = append(errs, o.Release.Validate(field.NewPath("release"))...)
	errs = append(errs, o.Rollout.Validate(field.NewPath("rollout"))...)
	errs = append(errs, o.Drill.Validate(field.NewPath("drill"))...)
	return errs
}

// Complete applies the defaults (Default), takes the Lease's namespace
// from the Pod when leader election is on and none is set, and validates
// once (Validate), returning every broken setting in one error; New calls
// it.
func (o *Options) Complete() error {
	o.Default()
	if err := o.podNamespace(); err != nil {
		return err
	}
	if errs := o.Validate(); len(errs) > 0 {
		return fmt.Errorf("invalid controllers configuration: %w", errs.ToAggregate())
	}
	return nil
}
