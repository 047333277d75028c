package fleet

import (
	"crypto/ed25519"
	"net/http"
	"runtime"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// Defaults of Options.
const (
	DefaultConcurrency      = 16
	DefaultClusterTimeout   = 10 * time.Second
	DefaultMaxReads         = 10
	DefaultMaxListPages     = 10
	DefaultMaxMetadataBytes = 1 << 20
	DefaultMaxListBytes     = 4 << 20
	DefaultUnscheduled      = 24 * time.Hour
	DefaultMaxGrace         = time.Hour
)

// Options configure Inventory. Zero values take the documented defaults.
type Options struct {
	// Concurrency is how many clusters are scanned at once. Default
	// DefaultConcurrency (16; the work is waiting on S3, not CPU), at least
	// GOMAXPROCS.
	Concurrency int
	// ClusterTimeout bounds the scan of one cluster, SDK retries included;
	// a cluster that runs out of it is Unreachable. Default 10s.
	ClusterTimeout time.Duration
	// MaxReads bounds the velero-backup.json files read per cluster, and
	// so the backup names kept while listing it (MaxReads of each kind).
	// Default 10.
	MaxReads int
	// MaxListPages bounds the ListObjectsV2 pages (1,000 backups each) read
	// per cluster. Default 10.
	MaxListPages int
	// MaxMetadataBytes bounds one velero-backup.json. Default 1 MiB.
	MaxMetadataBytes int64
	// MaxListBytes bounds one ListObjectsV2 answer. Default 4 MiB.
	MaxListBytes int64
	// Grace is how long past the moment a Schedule should have started a
	// backup the cluster still counts as protected (the backup may still
	// run). Default 0: half the Schedule's interval, at most DefaultMaxGrace
	// (1h).
	Grace time.Duration
	// Unscheduled is the expected interval of a cluster without an
	// unpaused Schedule. Default 24h.
	Unscheduled time.Duration
	// Checker builds the S3 clients (endpoint policy, SDK attempts). Default
	// a new s3check.Checker with the default policy (loopback, link-local,
	// metadata, unspecified and multicast addresses denied).
	Checker *s3check.Checker
	// Wrap, when set, wraps every S3 client's transport (the benchmark
	// counts requests with it). Default none.
	Wrap func(http.RoundTripper) http.RoundTripper
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// DrillKey is the seed's public key of restore drill records
	// (docs/drills.md). Default nil: drills are not judged (Status.Drill
	// stays nil).
	DrillKey ed25519.PublicKey
	// DrillMaxAge is how old the newest passed drill may be before the
	// cluster's drills are stale. Default DefaultDrillMaxAge (48h).
	DrillMaxAge time.Duration
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = max(DefaultConcurrency, runtime.GOMAXPROCS(0))
	}
	if o.ClusterTimeout <= 0 {
		o.ClusterTimeout = DefaultClusterTimeout
	}
	if o.MaxReads <= 0 {
		o.MaxReads = DefaultMaxReads
	}
	if o.MaxListPages <= 0 {
		o.MaxListPages = DefaultMaxListPages
	}
	if o.MaxMetadataBytes <= 0 {
		o.MaxMetadataBytes = DefaultMaxMetadataBytes
	}
	if o.MaxListBytes <= 0 {
		o.MaxListBytes = DefaultMaxListBytes
	}
	if o.Unscheduled <= 0 {
		o.Unscheduled = DefaultUnscheduled
	}
	if o.Checker == nil {
		o.Checker = s3check.New(s3check.Options{})
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DrillMaxAge <= 0 {
		o.DrillMaxAge = DefaultDrillMaxAge
	}
	return o
}

// grace is the slack of a schedule with the given interval.
func (o Options) grace(interval time.Duration) time.Duration {
	if o.Grace > 0 {
		return o.Grace
	}
	return min(interval/2, DefaultMaxGrace)
}
