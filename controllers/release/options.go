package release

import (
	"flag"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Options, set by Options.Default.
const (
	// ControllerName names the release loop's controller.
	ControllerName = "cluster-release"
	// DefaultFieldManager is the server-side apply field manager of
	// everything the loop applies into user clusters.
	DefaultFieldManager = "clusterbackup-release"
	// DefaultStateNamespace is the seed namespace of the loop's per-cluster
	// state (the CBSL namespace, KKP's "kubermatic").
	DefaultStateNamespace = kkpv1.KKPNamespace
	// DefaultVeleroNamespace is Velero's namespace in user clusters (the
	// chart's).
	DefaultVeleroNamespace = kkpv1.VeleroNamespace
	// DefaultResyncPeriod is how often every cluster is reconciled even
	// without a watch event (±10% jitter).
	DefaultResyncPeriod = 5 * time.Minute
	// DefaultWorkers is how many clusters are reconciled in parallel.
	DefaultWorkers = 4
	// DefaultCRDTimeout bounds the wait for applied CRDs to be Established.
	DefaultCRDTimeout = 30 * time.Second
)

// Options configure the release loop (the controllers' config file's
// release section). Zero values take the documented defaults (Default);
// durations are Go's strings in the file ("5m"; a number is nanoseconds).
type Options struct {
	// Enabled runs the loop. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// RenderConfig is the path of the seed's render configuration, a
	// RenderConfig document (the Argo CD marker file format; LoadSettings).
	// Default "": every parameter's default.
	RenderConfig string `json:"renderConfig,omitempty"`
	// FieldManager is the server-side apply field manager in user clusters.
	// Default "clusterbackup-release".
	FieldManager string `json:"fieldManager,omitempty"`
	// ExcludeSelector is a label selector on Clusters: matching clusters
	// are left alone (nothing read from or written to them) and reported as
	// skipped. Default "": none excluded.
	ExcludeSelector string `json:"excludeSelector,omitempty"`
	// ResyncPeriod bounds how long a missed watch event can delay an
	// update: every cluster is reconciled at least this often (±10%); a
	// reconcile that finds the release current costs one GET in the user
	// cluster. Default 5m; at least 1s.
	ResyncPeriod duration.Duration `json:"resyncPeriod,omitempty"`
	// Workers is how many clusters are reconciled in parallel. Default 4.
	Workers int `json:"workers,omitempty"`
	// CRDTimeout bounds the wait for the applied CRDs to be Established
	// before anything else is applied. Default 30s.
	CRDTimeout duration.Duration `json:"crdTimeout,omitempty"`
	// KKPTakeover takes every user cluster the loop enables first over
	// from KKP's own cluster backup (takeover.go); one Cluster opts in with
	// the annotation kkpv1.KKPTakeoverAnnotation. Without it, a cluster
	// where KKP's BSL is found is left alone and reported. Default false.
	KKPTakeover bool `json:"kkpTakeover,omitempty"`
	// VeleroNamespace is Velero's namespace in user clusters; the release is
	// rendered into it. Default "velero".
	VeleroNamespace string `json:"veleroNamespace,omitempty"`
	// StateNamespace is the CBSL namespace of the seed: the loop reads
	// CBSLs from it and keeps its per-cluster state in it (passed in by the
	// seed process, no flag of its own). Default "kubermatic".
	StateNamespace string `json:"-"`
	// ControllerName names the controller (controller-runtime requires
	// names unique per process). Default ControllerName ("cluster-release").
	ControllerName string `json:"-"`

	// exclude is ExcludeSelector parsed by Default (nil while it does not
	// parse: Validate reports it).
	exclude labels.Selector
}

// AddFlags binds the options to command-line flags. o must be defaulted
// (Default): each flag's default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "release-loop", o.Enabled, "render every user cluster's Velero release from its Cluster and CBSL on the seed and apply it into the user cluster (server-side apply)")
	fs.BoolVar(&o.KKPTakeover, "release-kkp-takeover", o.KKPTakeover, "take user clusters over from KKP's own cluster backup when the loop enables them first: the KKP migration render (KKP's BSL default-cluster-backup-bsl kept read-only on its prefix; docs/migration.md); one Cluster opts in with the annotation "+kkpv1.KKPTakeoverAnnotation+"=true")
	fs.StringVar(&o.RenderConfig, "release-render-config", o.RenderConfig, "path of the seed's render configuration, a clusterbackup.io/v1alpha1 RenderConfig (the Argo CD marker file format); empty renders every default")
	fs.StringVar(&o.FieldManager, "release-field-manager", o.FieldManager, "server-side apply field manager of the release in user clusters")
	fs.StringVar(&o.ExcludeSelector, "release-exclude-selector", o.ExcludeSelector, "label selector on Clusters the release loop leaves alone (reported as skipped), e.g. clusterbackup.io/release=manual")
	fs.DurationVar(&o.ResyncPeriod.Duration, "release-resync-period", o.ResyncPeriod.Duration, "every cluster's release is checked at least this often (±10%); a current release costs one GET in the user cluster")
	fs.IntVar(&o.Workers, "release-workers", o.Workers, "clusters reconciled in parallel by the release loop")
	fs.DurationVar(&o.CRDTimeout.Duration, "release-crd-timeout", o.CRDTimeout.Duration, "how long the release loop waits for applied CRDs to be Established")
	fs.StringVar(&o.VeleroNamespace, "release-velero-namespace", o.VeleroNamespace, "Velero's namespace in user clusters, where the release is rendered")
}

// Default fills every unset field with its default and parses
// ExcludeSelector (Validate reports a selector that does not parse).
// Default is idempotent; call it again after changing ExcludeSelector.
func (o *Options) Default() {
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	if o.ResyncPeriod.Duration == 0 {
		o.ResyncPeriod.Duration = DefaultResyncPeriod
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.CRDTimeout.Duration == 0 {
		o.CRDTimeout.Duration = DefaultCRDTimeout
	}
	if o.VeleroNamespace == "" {
		o.VeleroNamespace = DefaultVeleroNamespace
	}
	if o.StateNamespace == "" {
		o.StateNamespace = DefaultStateNamespace
	}
	if o.ControllerName == "" {
		o.ControllerName = ControllerName
	}
	o.exclude, _ = labels.Parse(o.ExcludeSelector)
}

// Validate checks defaulted options and returns every broken setting named
// under fp, as in the configuration file (e.g. release.resyncPeriod).
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, err := labels.Parse(o.ExcludeSelector); err != nil {
		errs = append(errs, field.Invalid(fp.Child("excludeSelector"), o.ExcludeSelector, "not a label selector: "+err.Error()))
	}
	if o.ResyncPeriod.Duration < time.Second {
		errs = append(errs, field.Invalid(fp.Child("resyncPeriod"), o.ResyncPeriod.String(), "must be at least 1s"))
	}
	if o.Workers < 1 {
		errs = append(errs, field.Invalid(fp.Child("workers"), o.Workers, "must be at least 1"))
	}
	if o.CRDTimeout.Duration < 0 {
		errs = append(errs, field.Invalid(fp.Child("crdTimeout"), o.CRDTimeout.String(), "must not be negative"))
	}
	return errs
}

// excluded reports whether a Cluster with these labels is excluded by
// ExcludeSelector (an empty selector excludes nothing).
func (o Options) excluded(l map[string]string) bool {
	return o.exclude != nil && !o.exclude.Empty() && o.exclude.Matches(labels.Set(l))
}
