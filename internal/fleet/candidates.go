package fleet

import (
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// IsBackupName reports whether name can be a Velero Backup's name: a
// Kubernetes object name (a DNS-1123 subdomain, at most 253 characters).
// Velero names a backup's folder after the Backup, so any other folder
// under backups/ was not written by Velero.
func IsBackupName(name string) bool {
	return len(validation.IsDNS1123Subdomain(name)) == 0
}

// cand is a backup that may be read: its name and the time in it (zero
// for names without a Schedule timestamp).
type cand struct {
	name string
	t    time.Time
}

// candidates keeps, of a cluster's listing, only what readNewest can read:
// the keep lexically last names without a timestamp and the keep newest
// timestamped ones, each in reading order, and how many timestamped names
// there were. Its memory is bounded by keep whatever the listing's length:
// the same names, in the same order, as sorting the whole listing.
type candidates struct {
	keep    int
	timed   []cand // newest first (then the name, descending)
	untimed []cand // name descending
	nTimed  int
}

// add considers one (valid) backup name.
func (c *candidates) add(name string) {
	if t, ok := timeInName(name); ok {
		c.nTimed++
		c.timed = keepFirst(c.timed, cand{name, t}, c.keep, func(a, b cand) bool {
			if !a.t.Equal(b.t) {
				return a.t.After(b.t)
			}
			return a.name > b.name
		})
		return
	}
	c.untimed = keepFirst(c.untimed, cand{name: name}, c.keep, func(a, b cand) bool { return a.name > b.name })
}

// keepFirst inserts x into s (sorted by before, at most n long) where it
// belongs, and drops what falls beyond n. The kept name is copied, so that
// it does not pin the listing page it came from.
func keepFirst(s []cand, x cand, n int, before func(a, b cand) bool) []cand {
	i := sort.Search(len(s), func(j int) bool { return before(x, s[j]) })
	if i >= n {
		return s
	}
	x.name = strings.Clone(x.name)
	s = slices.Insert(s, i, x)
	if len(s) > n {
		s[n] = cand{}
		s = s[:n]
	}
	return s
}

// order returns the names to read, in reading order (see readNewest): the
// names without a timestamp first, as many as leave reads for the
// timestamped ones (as many as exist, at most half of maxReads), then the
// timestamped ones; the second result is where the timestamped ones start.
func (c *candidates) order(maxReads int) ([]cand, int) {
	untimed := c.untimed
	if limit := maxReads - min(maxReads/2, c.nTimed); len(untimed) > limit {
		untimed = untimed[:limit]
	}
	return append(slices.Clip(untimed), c.timed...), len(untimed)
}
