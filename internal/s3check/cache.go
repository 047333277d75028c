package s3check

import (
	"sync"
	"time"
)

// cache holds recent results by target key until they expire.
type cache struct {
	mu sync.Mutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	r       Result
	expires time.Time
}

// sweepAt is the size at which put drops expired entries.
const sweepAt = 1024

func (c *cache) get(key string, now time.Time) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !now.Before(e.expires) {
		return Result{}, false
	}
	return e.r, true
}

func (c *cache) put(key string, r Result, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cacheEntry{}
	}
	if len(c.m) >= sweepAt {
		for k, e := range c.m {
			if !r.CheckedAt.Before(e.expires) {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = cacheEntry{r: r, expires: expires}
}
