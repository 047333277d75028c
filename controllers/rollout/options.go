package rollout

import (
	"errors"
	"flag"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Options, set by Options.Default.
const (
	// DefaultCanary is the canary wave: one cluster.
	DefaultCanary = "1"
	// DefaultBatchSize is how many clusters each wave after the canaries
	// moves.
	DefaultBatchSize = 10
	// DefaultDeadline is how long a wave's clusters have to become healthy.
	DefaultDeadline = 10 * time.Minute
	// DefaultPoll is how often the rollout looks at its wave.
	DefaultPoll = 5 * time.Second
	// StateConfigMapName names the rollout's state on the seed (in the
	// release loop's state namespace).
	StateConfigMapName = "clusterbackup-rollout"
)

// Options configure rollout waves (the controllers' config file's rollout
// section). Zero values take the documented defaults (Default); durations
// are Go's strings in the file ("10m"; a number is nanoseconds).
type Options struct {
	// Enabled moves clusters to a changed render configuration in waves
	// with health gates. Default false: every cluster renders the
	// configuration at its next reconcile (the seed chart turns waves on).
	Enabled bool `json:"enabled,omitempty"`
	// Canary is the canary wave: a count ("3") or a percentage of the
	// enabled clusters ("5%", rounded up, at least one). Default "1".
	Canary string `json:"canary,omitempty"`
	// CanarySelector is a label selector on Clusters: when set, canaries
	// are chosen among matching clusters only (none matching: the first
	// clusters of the order). Default "": any cluster.
	CanarySelector string `json:"canarySelector,omitempty"`
	// BatchSize is how many clusters each later wave moves. Default 10.
	BatchSize int `json:"batchSize,omitempty"`
	// Deadline is how long the clusters of a wave have to become healthy
	// (Velero Deployment rolled out and Available, node-agent ready, the
	// managed BSL Available); past it the rollout halts. Default 10m; at
	// least 1s.
	Deadline duration.Duration `json:"deadline,omitempty"`
	// Poll is how often the current wave's health is read. Default 5s; at
	// least 10ms.
	Poll duration.Duration `json:"poll,omitempty"`

	// canaryCount, canaryPercent and selector are Canary and CanarySelector
	// parsed by Default (zero while they do not parse: Validate reports
	// them).
	canaryCount   int
	canaryPercent float64
	selector      labels.Selector
}

// AddFlags binds the options to command-line flags. o must be defaulted
// (Default): each flag's default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "rollout", o.Enabled, "move clusters to a changed release render configuration in waves with health gates (canaries first, then batches)")
	fs.StringVar(&o.Canary, "rollout-canary", o.Canary, `canary wave: a count ("3") or a percentage of the enabled clusters ("5%")`)
	fs.StringVar(&o.CanarySelector, "rollout-canary-selector", o.CanarySelector, "label selector on Clusters the canaries are chosen from (default: any)")
	fs.IntVar(&o.BatchSize, "rollout-batch-size", o.BatchSize, "clusters moved by each wave after the canaries")
	fs.DurationVar(&o.Deadline.Duration, "rollout-deadline", o.Deadline.Duration, "how long a wave's clusters have to become healthy before the rollout halts")
	fs.DurationVar(&o.Poll.Duration, "rollout-poll", o.Poll.Duration, "how often the current wave's health is read")
}

// Default fills every unset field with its default and parses Canary and
// CanarySelector (Validate reports what does not parse). Default is
// idempotent; call it again after changing Canary or CanarySelector.
func (o *Options) Default() {
	if o.Canary == "" {
		o.Canary = DefaultCanary
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Deadline.Duration == 0 {
		o.Deadline.Duration = DefaultDeadline
	}
	if o.Poll.Duration == 0 {
		o.Poll.Duration = DefaultPoll
	}
	o.canaryCount, o.canaryPercent, _ = parseCanary(o.Canary)
	o.selector, _ = labels.Parse(o.CanarySelector)
}

// Validate checks defaulted options and returns every broken setting named
// under fp, as in the configuration file (e.g. rollout.deadline).
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, _, err := parseCanary(o.Canary); err != nil {
		errs = append(errs, field.Invalid(fp.Child("canary"), o.Canary, err.Error()))
	}
	if _, err := labels.Parse(o.CanarySelector); err != nil {
		errs = append(errs, field.Invalid(fp.Child("canarySelector"), o.CanarySelector, "not a label selector: "+err.Error()))
	}
	if o.BatchSize < 1 {
		errs = append(errs, field.Invalid(fp.Child("batchSize"), o.BatchSize, "must be at least 1"))
	}
	if o.Deadline.Duration < time.Second {
		errs = append(errs, field.Invalid(fp.Child("deadline"), o.Deadline.String(), "must be at least 1s"))
	}
	if o.Poll.Duration < 10*time.Millisecond {
		errs = append(errs, field.Invalid(fp.Child("poll"), o.Poll.String(), "must be at least 10ms"))
	}
	return errs
}

// parseCanary reads a canary wave: a count of at least 1 ("3") or a
// percentage in (0, 100] ("5%").
func parseCanary(s string) (count int, percent float64, err error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 || math.IsNaN(v) {
			return 0, 0, errors.New("a percentage must be a number in (0, 100]")
		}
		return 0, v, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, 0, errors.New("want a count of at least 1 or a percentage such as 5%")
	}
	return n, 0, nil
}

// canaries returns the size of the canary wave among total clusters.
func (o Options) canaries(total int) int {
	if o.canaryPercent > 0 {
		return max(1, int(math.Ceil(o.canaryPercent*float64(total)/100)))
	}
	return max(1, o.canaryCount)
}
