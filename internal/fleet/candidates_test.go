package fleet

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// fullOrder is the reading order from the whole listing, sorted (what
// readNewest did before it kept only candidates): the names without a
// timestamp, lexically last first, as many as leave reads for the
// timestamped ones, then the timestamped ones newest first.
func fullOrder(names []string, maxReads int) []string {
	type tn struct {
		name string
		t    time.Time
	}
	var timed []tn
	var untimed []string
	for _, n := range names {
		if t, ok := timeInName(n); ok {
			timed = append(timed, tn{n, t})
		} else {
			untimed = append(untimed, n)
		}
	}
	sort.Slice(timed, func(i, j int) bool {
		if !timed[i].t.Equal(timed[j].t) {
			return timed[i].t.After(timed[j].t)
		}
		return timed[i].name > timed[j].name
	})
	sort.Sort(sort.Reverse(sort.StringSlice(untimed)))
	if limit := maxReads - min(maxReads/2, len(timed)); len(untimed) > limit {
		untimed = untimed[:limit]
	}
	out := untimed
	for _, t := range timed {
		out = append(out, t.name)
	}
	return out
}

// TestCandidatesBounded: whatever the listing's length and order, the
// candidates keep at most maxReads names of each kind and read the same
// names in the same order as sorting the whole listing.
func TestCandidatesBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ timed, untimed, maxReads int }{
		{0, 0, 10}, {3, 0, 10}, {0, 3, 10}, {3, 12, 10}, {12, 3, 10}, {1, 1, 1}, {5000, 15000, 10}, {15000, 5000, 7}, {200, 200, 100},
	} {
		t.Run(fmt.Sprintf("%d-timed-%d-untimed-%d-reads", tc.timed, tc.untimed, tc.maxReads), func(t *testing.T) {
			var names []string
			for i := range tc.timed { // a few schedules, times that collide
				ts := base.Add(time.Duration(rng.IntN(tc.timed/2+1)) * time.Hour).Format("20060102150405")
				names = append(names, fmt.Sprintf("s%d-%d-%s", rng.IntN(3), i, ts))
			}
			for i := range tc.untimed {
				names = append(names, fmt.Sprintf("manual-%x-%d", rng.Uint32(), i))
			}
			rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
			c := &candidates{keep: tc.maxReads}
			for _, n := range names {
				c.add(n)
			}
			if len(c.timed) > tc.maxReads || len(c.untimed) > tc.maxReads || c.nTimed != tc.timed {
				t.Fatalf("kept %d timed, %d untimed (counted %d timed); want at most %d each, %d counted", len(c.timed), len(c.untimed), c.nTimed, tc.maxReads, tc.timed)
			}
			order, firstTimed := c.order(tc.maxReads)
			var got []string
			for i, cd := range order {
				if _, ok := timeInName(cd.name); ok != (i >= firstTimed) {
					t.Fatalf("%s at %d, timestamped ones from %d", cd.name, i, firstTimed)
				}
				got = append(got, cd.name)
			}
			want := fullOrder(names, tc.maxReads)
			n := min(tc.maxReads, len(want))
			if len(got) < n || !slices.Equal(got[:n], want[:n]) {
				t.Fatalf("reads\n%v\nwant\n%v", got[:min(n, len(got))], want[:n])
			}
		})
	}
}

func TestIsBackupName(t *testing.T) {
	long := strings.Repeat("a", 63)
	for name, want := range map[string]bool{
		"daily-20261201020000": true,
		"before-upgrade":       true,
		"a.b-c":                true,
		strings.Join([]string{long, long, long, strings.Repeat("a", 61)}, "."): true, // 253
		strings.Join([]string{long, long, long, strings.Repeat("a", 62)}, "."): false,
		strings.Repeat("a", 1024): false,
		"Daily":                   false,
		"daily_1":                 false,
		"-daily":                  false,
		"daily\n":                 false,
		"":                        false,
	} {
		if got := IsBackupName(name); got != want {
			t.Errorf("IsBackupName(%.80q) = %v, want %v", name, got, want)
		}
	}
}
