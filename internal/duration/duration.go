// Package duration holds the Duration of clusterbackup's typed
// configurations (the --config files of its commands): Go's duration string
// in YAML and JSON ("25s", "1h30m0s"), like metav1.Duration, and, unlike
// it, also a number of nanoseconds, the form a plain time.Duration field
// was written in, so files written before a field became a Duration keep
// working.
package duration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Duration is a time.Duration in a configuration file. Embedding
// time.Duration, like metav1.Duration, keeps d.Duration readable and
// bindable to a flag (fs.DurationVar(&d.Duration, ...)).
type Duration struct {
	time.Duration
}

// Of returns d as a Duration.
func Of(d time.Duration) Duration { return Duration{d} }

// MarshalJSON writes Go's duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON reads Go's duration string ("25s", "1h30m", "0") or an
// integral number of nanoseconds (25000000000).
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want Go's form, e.g. 25s or 1h30m: %w", s, err)
		}
		d.Duration = v
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration %s: want a string such as 25s, or a number of nanoseconds", b)
	}
	i, err := n.Int64()
	if err != nil {
		// A float such as 2.5e10, as YAML-to-JSON may write large numbers.
		f, ferr := n.Float64()
		if ferr != nil || f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 {
			return fmt.Errorf("duration %s: a number is read as whole nanoseconds; write e.g. 25s instead", n)
		}
		i = int64(f)
	}
	d.Duration = time.Duration(i)
	return nil
}
