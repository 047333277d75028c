package s3check

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Options.
const (
	DefaultBudget      = 3 * time.Second
	DefaultCacheTTL    = 60 * time.Second
	DefaultFailureTTL  = 10 * time.Second
	DefaultMaxAttempts = 3
)

// Options configure a Checker. Zero values take the documented defaults.
type Options struct {
	// Budget is the hard limit of one check, SDK retries included ("3s";
	// a number is nanoseconds). Keep it well under the webhook's
	// timeoutSeconds. Default 3s.
	Budget duration.Duration `json:"budget,omitempty"`
	// CacheTTL is how long a successful result is reused. Default 60s;
	// negative disables caching.
	CacheTTL duration.Duration `json:"cacheTTL,omitempty"`
	// FailureTTL is how long a failed result is reused, short so that a fixed
	// location passes soon. Default 10s; negative disables caching failures.
	FailureTTL duration.Duration `json:"failureTTL,omitempty"`
	// MaxAttempts bounds SDK attempts per request (inside Budget). Default 3.
	MaxAttempts int `json:"maxAttempts,omitempty"`
	// Policy decides which endpoint addresses may be dialled. Default: deny
	// loopback, link-local, metadata, unspecified and multicast addresses and
	// the host's own interface addresses; private ranges are allowed.
	Policy Policy `json:"policy,omitempty"`
	// MaxResponseBytes bounds every response body the check reads; a longer
	// one fails the check (ClassHTTP) instead of growing the heap. Default
	// DefaultMaxResponseBytes (1 MiB).
	MaxResponseBytes int64 `json:"maxResponseBytes,omitempty"`
	// Resolver resolves endpoint hosts. Default net.DefaultResolver.
	Resolver Resolver `json:"-"`
	// InterfaceAddrs lists the host's own addresses, which the policy denies
	// (Policy.Own). It is called before every check that dials (not for
	// cached answers), so addresses added later are denied too; an error
	// fails the check closed. Default net.InterfaceAddrs.
	InterfaceAddrs func() ([]net.Addr, error) `json:"-"`
}

// Default fills every unset setting with its default (DefaultBudget,
// DefaultCacheTTL, DefaultFailureTTL, DefaultMaxAttempts,
// DefaultMaxResponseBytes); fields set already stay and Default is
// idempotent. New calls it, and fills Resolver and InterfaceAddrs, which are
// no settings.
func (o *Options) Default() {
	if o.Budget.Duration == 0 {
		o.Budget.Duration = DefaultBudget
	}
	if o.CacheTTL.Duration == 0 {
		o.CacheTTL.Duration = DefaultCacheTTL
	}
	if o.FailureTTL.Duration == 0 {
		o.FailureTTL.Duration = DefaultFailureTTL
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
}

// Validate checks defaulted options and returns every broken setting named
// under fp, as in a configuration file (e.g. check.budget). Negative TTLs
// are valid: they turn caching off.
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if o.Budget.Duration <= 0 {
		errs = append(errs, field.Invalid(fp.Child("budget"), o.Budget.String(), "must be positive"))
	}
	if o.MaxAttempts < 1 {
		errs = append(errs, field.Invalid(fp.Child("maxAttempts"), o.MaxAttempts, "must be at least 1"))
	}
	if o.MaxResponseBytes < 1 {
		errs = append(errs, field.Invalid(fp.Child("maxResponseBytes"), o.MaxResponseBytes, "must be positive"))
	}
	return errs
}

// Result is the outcome of one check.
type Result struct {
	// Class is ClassOK on success, else the failure class.
	Class Class
	// Message says what was found, in one line without secrets or bodies.
	Message string
	// Warnings are problems that do not make the location unusable, such as
	// a credential that is not isolated to its prefix.
	Warnings []string
	// Isolated is set when the isolation probe ran: true when the credential
	// could list neither the bucket root nor a sibling prefix.
	Isolated *bool
	// CheckedAt is when the S3 requests were made; Duration how long they took.
	CheckedAt time.Time
	Duration  time.Duration
	// Cached is true when the result came from the cache.
	Cached bool
}

// OK reports whether the location is usable.
func (r Result) OK() bool { return r.Class == ClassOK }

// Err returns nil for a usable location, else an error with the message.
func (r Result) Err() error {
	if r.OK() {
		return nil
	}
	return &Error{Class: r.Class, Message: r.Message}
}

// Stats count what a Checker did since it was created.
type Stats struct {
	// Checks is the number of checks that talked to an endpoint (or tried).
	Checks int64
	// CacheHits is the number of answers served from the cache.
	CacheHits int64
	// Shared is the number of callers that waited for another caller's check.
	Shared int64
}

// Checker runs reachability checks with a cache and per-target
// single-flight. It is safe for concurrent use; share one per process.
type Checker struct {
	opts  Options
	cache cache
	group singleflight.Group
	now   func() time.Time

	checks, hits, shared atomic.Int64
}

// New returns a Checker with o defaulted (Options.Default); a
// configuration read from a file or flags is validated first
// (Options.Validate).
func New(o Options) *Checker {
	o.Default()
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.InterfaceAddrs == nil {
		o.InterfaceAddrs = net.InterfaceAddrs
	}
	return &Checker{opts: o, now: time.Now}
}

// Options returns the effective options (defaults filled).
func (c *Checker) Options() Options { return c.opts }

// Stats returns the counters.
func (c *Checker) Stats() Stats {
	return Stats{Checks: c.checks.Load(), CacheHits: c.hits.Load(), Shared: c.shared.Load()}
}

// Check answers from the cache when it can; otherwise it checks the target,
// sharing one check among concurrent callers of the same target. The shared
// check runs to its own budget even if this caller's ctx ends first; the
// caller then gets a timeout result.
func (c *Checker) Check(ctx context.Context, t Target) Result {
	key := t.key()
	if r, ok := c.cache.get(key, c.now()); ok {
		c.hits.Add(1)
		r.Cached = true
		return r
	}
	ch := c.group.DoChan(key, func() (any, error) {
		if r, ok := c.cache.get(key, c.now()); ok {
			c.hits.Add(1)
			r.Cached = true
			return r, nil
		}
		c.checks.Add(1)
		r := c.run(context.WithoutCancel(ctx), t)
		ttl := c.opts.CacheTTL.Duration
		if !r.OK() {
			ttl = c.opts.FailureTTL.Duration
		}
		if ttl > 0 {
			c.cache.put(key, r, r.CheckedAt.Add(ttl))
		}
		return r, nil
	})
	select {
	case res := <-ch:
		if res.Shared {
			c.shared.Add(1)
		}
		return res.Val.(Result)
	case <-ctx.Done():
		return Result{Class: ClassTimeout, Message: fmt.Sprintf("check abandoned: %v", ctx.Err()), CheckedAt: c.now()}
	}
}

// Forget drops the cached result of a target.
func (c *Checker) Forget(t Target) {
	c.cache.mu.Lock()
	delete(c.cache.m, t.key())
	c.cache.mu.Unlock()
}

// run performs one check within the budget.
func (c *Checker) run(ctx context.Context, t Target) Result {
	start := c.now()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Budget.Duration)
	defer cancel()
	res := c.probe(ctx, t)
	res.CheckedAt = start
	res.Duration = c.now().Sub(start)
	return res
}
