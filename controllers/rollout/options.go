package rollout

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// Defaults of Options.
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

// Options configure rollout waves. Zero values take the documented
// defaults (Complete).
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
	// managed BSL Available); past it the rollout halts. Default 10m.
	Deadline time.Duration `json:"deadline,omitempty"`
	// Poll is how often the current wave's health is read. Default 5s.
	Poll time.Duration `json:"poll,omitempty"`

	canaryCount   int
	canaryPercent float64
	selector      labels.Selector
}

// AddFlags binds the options to command-line flags.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "rollout", o.Enabled, "move clusters to a changed release render configuration in waves with health gates (canaries first, then batches)")
	fs.StringVar(&o.Canary, "rollout-canary", or(o.Canary, DefaultCanary), `canary wave: a count ("3") or a percentage of the enabled clusters ("5%")`)
	fs.StringVar(&o.CanarySelector, "rollout-canary-selector", o.CanarySelector, "label selector on Clusters the canaries are chosen from (default: any)")
	fs.IntVar(&o.BatchSize, "rollout-batch-size", or(o.BatchSize, DefaultBatchSize), "clusters moved by each wave after the canaries")
	fs.DurationVar(&o.Deadline, "rollout-deadline", or(o.Deadline, DefaultDeadline), "how long a wave's clusters have to become healthy before the rollout halts")
	fs.DurationVar(&o.Poll, "rollout-poll", or(o.Poll, DefaultPoll), "how often the current wave's health is read")
}

// Complete fills the defaults and checks the options, naming the bad one.
func (o Options) Complete() (Options, error) {
	o.Canary = or(o.Canary, DefaultCanary)
	o.BatchSize = or(o.BatchSize, DefaultBatchSize)
	o.Deadline = or(o.Deadline, DefaultDeadline)
	o.Poll = or(o.Poll, DefaultPoll)
	if p, ok := strings.CutSuffix(o.Canary, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 || math.IsNaN(v) {
			return o, fmt.Errorf("rollout canary %q: a percentage must be a number in (0, 100]", o.Canary)
		}
		o.canaryPercent, o.canaryCount = v, 0
	} else {
		n, err := strconv.Atoi(o.Canary)
		if err != nil || n < 1 {
			return o, fmt.Errorf("rollout canary %q: want a count of at least 1 or a percentage such as 5%%", o.Canary)
		}
		o.canaryCount, o.canaryPercent = n, 0
	}
	sel, err := labels.Parse(o.CanarySelector)
	if err != nil {
		return o, fmt.Errorf("rollout canary selector %q: %w", o.CanarySelector, err)
	}
	o.selector = sel
	switch {
	case o.BatchSize < 1:
		return o, fmt.Errorf("rollout batch size %d: at least 1", o.BatchSize)
	case o.Deadline < time.Second:
		return o, fmt.Errorf("rollout deadline %s is too short (minimum 1s)", o.Deadline)
	case o.Poll < 10*time.Millisecond:
		return o, fmt.Errorf("rollout poll %s is too short (minimum 10ms)", o.Poll)
	}
	return o, nil
}

// canaries returns the size of the canary wave among total clusters.
func (o Options) canaries(total int) int {
	if o.canaryPercent > 0 {
		return max(1, int(math.Ceil(o.canaryPercent*float64(total)/100)))
	}
	return max(1, o.canaryCount)
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
