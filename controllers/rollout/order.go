package rollout

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// The order of a rollout is stable and predictable: clusters sorted by the
// first 8 bytes of SHA-256 of their ID (ties by ID), the same on every
// process and for every rollout, so the operator can compute who comes
// first (Order) and a rollback meets the same clusters first.

// Member is a cluster a rollout may move.
type Member struct {
	// ID is the cluster ID (the Cluster's name).
	ID string
	// Labels are the Cluster's labels (for the canary selector).
	Labels map[string]string
}

// rank is a cluster's place in the order.
func rank(id string) uint64 {
	h := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint64(h[:8])
}

// Order sorts clusters into the rollout order, in place, and returns them.
func Order(ms []Member) []Member {
	slices.SortFunc(ms, func(a, b Member) int {
		ra, rb := rank(a.ID), rank(b.ID)
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ms
}

// nextWave returns the IDs of the next wave: among ordered (the enabled
// clusters in rollout order) those not yet passed; the canaries (wave 0)
// are the first canaries(len(ordered)) of them, matching sel when any
// does, every later wave the first batch.
func nextWave(ordered []Member, passed map[string]bool, wave int, o Options, sel labels.Selector) []string {
	var pending []Member
	for _, m := range ordered {
		if !passed[m.ID] {
			pending = append(pending, m)
		}
	}
	n := o.BatchSize
	if wave == 0 {
		n = o.canaries(len(ordered))
		if sel != nil && !sel.Empty() {
			var match []Member
			for _, m := range pending {
				if sel.Matches(labels.Set(m.Labels)) {
					match = append(match, m)
				}
			}
			if len(match) > 0 {
				pending = match
			}
		}
	}
	out := make([]string, 0, min(n, len(pending)))
	for _, m := range pending[:min(n, len(pending))] {
		out = append(out, m.ID)
	}
	return out
}
