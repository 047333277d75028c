// Package resync holds what the seed's periodic loops share about their
// resync: the jitter that spreads them.
package resync

import (
	"math/rand/v2"
	"time"
)

// Jitter spreads periodic reconciles over ±10% of the period d, so objects
// created together are not reconciled together forever.
func Jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}
