package release

import (
	"flag"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// Defaults of Options.
const (
	// ControllerName names the release loop's controller.
	ControllerName = "cluster-release"
	// DefaultFieldManager is the server-side apply field manager of
	// everything the loop applies into user clusters.
	DefaultFieldManager = "clusterbackup-release"
	// DefaultStateNamespace is the seed namespace of the loop's per-cluster
	// state (the CBSL namespace, KKP's "kubermatic").
	DefaultStateNamespace = "kubermatic"
	// DefaultVeleroNamespace is Velero's namespace in user clusters (the
	// chart's).
	DefaultVeleroNamespace = "velero"
	// DefaultResyncPeriod is how often every cluster is reconciled even
	// without a watch event (±10% jitter).
	DefaultResyncPeriod = 5 * time.Minute
	// DefaultWorkers is how many clusters are reconciled in parallel.
	DefaultWorkers = 4
	// DefaultCRDTimeout bounds the wait for applied CRDs to be Established.
	DefaultCRDTimeout = 30 * time.Second
)

// Options configure the release loop. Zero values take the documented
// defaults (Complete).
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
	// cluster. Default 5m.
	ResyncPeriod time.Duration `json:"resyncPeriod,omitempty"`
	// Workers is how many clusters are reconciled in parallel. Default 4.
	Workers int `json:"workers,omitempty"`
	// CRDTimeout bounds the wait for the applied CRDs to be Established
	// before anything else is applied. Default 30s.
	CRDTimeout time.Duration `json:"crdTimeout,omitempty"`
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

	// exclude is ExcludeSelector parsed by Complete.
	exclude labels.Selector
}

// AddFlags binds the options to command-line flags.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "release-loop", o.Enabled, "render every user cluster's Velero release from its Cluster and CBSL on the seed and apply it into the user cluster (server-side apply)")
	fs.BoolVar(&o.KKPTakeover, "release-kkp-takeover", o.KKPTakeover, "take user clusters over from KKP's own cluster backup when the loop enables them first: the KKP migration render (KKP's BSL default-cluster-backup-bsl kept read-only on its prefix; docs/migration.md); one Cluster opts in with the annotation "+kkpv1.KKPTakeoverAnnotation+"=true")
	fs.StringVar(&o.RenderConfig, "release-render-config", o.RenderConfig, "path of the seed's render configuration, a clusterbackup.io/v1alpha1 RenderConfig (the Argo CD marker file format); empty renders every default")
	fs.StringVar(&o.FieldManager, "release-field-manager", or(o.FieldManager, DefaultFieldManager), "server-side apply field manager of the release in user clusters")
	fs.StringVar(&o.ExcludeSelector, "release-exclude-selector", o.ExcludeSelector, "label selector on Clusters the release loop leaves alone (reported as skipped), e.g. clusterbackup.io/release=manual")
	fs.DurationVar(&o.ResyncPeriod, "release-resync-period", or(o.ResyncPeriod, DefaultResyncPeriod), "every cluster's release is checked at least this often (±10%); a current release costs one GET in the user cluster")
	fs.IntVar(&o.Workers, "release-workers", or(o.Workers, DefaultWorkers), "clusters reconciled in parallel by the release loop")
	fs.DurationVar(&o.CRDTimeout, "release-crd-timeout", or(o.CRDTimeout, DefaultCRDTimeout), "how long the release loop waits for applied CRDs to be Established")
	fs.StringVar(&o.VeleroNamespace, "release-velero-namespace", or(o.VeleroNamespace, DefaultVeleroNamespace), "Velero's namespace in user clusters, where the release is rendered")
}

// Complete fills the defaults, parses ExcludeSelector and rejects impossible
// settings.
func (o Options) Complete() (Options, error) {
	o.FieldManager = or(o.FieldManager, DefaultFieldManager)
	o.ResyncPeriod = or(o.ResyncPeriod, DefaultResyncPeriod)
	o.Workers = or(o.Workers, DefaultWorkers)
	o.CRDTimeout = or(o.CRDTimeout, DefaultCRDTimeout)
	o.VeleroNamespace = or(o.VeleroNamespace, DefaultVeleroNamespace)
	o.StateNamespace = or(o.StateNamespace, DefaultStateNamespace)
	o.ControllerName = or(o.ControllerName, ControllerName)
	sel, err := labels.Parse(o.ExcludeSelector)
	if err != nil {
		return o, fmt.Errorf("release exclude selector %q: %w", o.ExcludeSelector, err)
	}
	o.exclude = sel
	switch {
	case o.ResyncPeriod < time.Second:
		return o, fmt.Errorf("release resync period %s is too short (minimum 1s)", o.ResyncPeriod)
	case o.Workers < 1:
		return o, fmt.Errorf("release workers %d: at least one is needed", o.Workers)
	case o.CRDTimeout < 0:
		return o, fmt.Errorf("release CRD timeout %s is negative", o.CRDTimeout)
	}
	return o, nil
}

// excluded reports whether a Cluster with these labels is excluded by
// ExcludeSelector (an empty selector excludes nothing).
func (o Options) excluded(l map[string]string) bool {
	return o.exclude != nil && !o.exclude.Empty() && o.exclude.Matches(labels.Set(l))
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
