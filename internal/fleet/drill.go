package fleet

import (
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/s3client"
)

// DrillState is what the restore drills of a cluster prove (docs/drills.md).
type DrillState string

// Drill states, worst first. Only DrillVerified is healthy.
const (
	// DrillFailed: the newest drill record says the drill failed, or it
	// does not verify against the seed's public key.
	DrillFailed DrillState = "drill-failed"
	// DrillStale: the newest drill passed, longer ago than
	// Options.DrillMaxAge.
	DrillStale DrillState = "drill-stale"
	// NeverDrilled: no drill record for the cluster.
	NeverDrilled DrillState = "never-drilled"
	// DrillVerified: the newest drill passed recently and its record
	// verifies.
	DrillVerified DrillState = "verified"
)

// DrillStates lists every drill state, worst first.
var DrillStates = []DrillState{DrillFailed, DrillStale, NeverDrilled, DrillVerified}

// DefaultDrillMaxAge is the default of Options.DrillMaxAge: two of the
// drill loop's default 24h intervals.
const DefaultDrillMaxAge = 48 * time.Hour

// maxHistory bounds the backups and drills kept per cluster for the
// report's history strip.
const maxHistory = 10

// Drill is what the inventory found of a cluster's drills.
type Drill struct {
	// State and Reason judge the newest record.
	State  DrillState `json:"state"`
	Reason string     `json:"reason"`
	// Key is the newest record's key; Run, Backup, Outcome, Finished, RTO
	// and RPO come from it once verified.
	Key        string        `json:"key,omitempty"`
	Run        string        `json:"run,omitempty"`
	Backup     string        `json:"backup,omitempty"`
	Outcome    drill.Outcome `json:"outcome,omitempty"`
	Finished   *time.Time    `json:"finished,omitempty"`
	Age        *Duration     `json:"age,omitempty"`
	RTOSeconds float64       `json:"rtoSeconds,omitempty"`
	RPOSeconds float64       `json:"rpoSeconds,omitempty"`
}

// Point is one backup or drill of a cluster's history strip.
type Point struct {
	// Kind is "backup" or "drill".
	Kind string `json:"kind"`
	// Name is the backup's name or the drill record's key.
	Name string `json:"name"`
	// Time is when it ran.
	Time time.Time `json:"time"`
	// Outcome is the backup's phase ("" when not read) or the drill's
	// outcome as its record's name says (only the newest record is
	// verified).
	Outcome string `json:"outcome"`
}

// scanDrills judges the cluster's drill records (one listing of its
// records folder, one read of the newest) and returns the drill points of
// its history.
func scanDrills(ctx context.Context, cl *s3client.Client, c Cluster, o Options, now time.Time) (*Drill, []Point) {
	d := &Drill{}
	dir, err := drill.Dir(c.Location.Prefix, c.ProjectID, c.ClusterID)
	if err != nil {
		d.State, d.Reason = DrillFailed, clip(err.Error(), maxReason)
		return d, nil
	}
	store := drill.Store{Client: cl, Bucket: c.Location.Bucket, Dir: dir}
	keys, err := store.Keys(ctx)
	if err != nil {
		d.State, d.Reason = DrillFailed, clip("drill records: "+err.Error(), maxReason)
		return d, nil
	}
	var points []Point
	for _, k := range keys[max(0, len(keys)-maxHistory):] {
		if t, ok := drill.KeyTime(k); ok {
			points = append(points, Point{Kind: "drill", Name: k, Time: t, Outcome: string(drill.KeyOutcome(k))})
		}
	}
	if len(keys) == 0 {
		d.State, d.Reason = NeverDrilled, "no drill record under "+dir
		return d, points
	}
	d.Key = keys[len(keys)-1]
	data, err := store.Get(ctx, d.Key, drill.MaxRecordBytes)
	if err == nil && data == nil {
		err = fmt.Errorf("gone")
	}
	var rec *drill.Record
	if err == nil {
		rec, err = drill.Verify(data, o.DrillKey)
	}
	if err != nil {
		d.State, d.Reason = DrillFailed, clip(fmt.Sprintf("newest drill record %s does not verify: %v", d.Key, err), maxReason)
		return d, points
	}
	fin := rec.Finished
	age := Duration(now.Sub(fin))
	d.Run, d.Backup, d.Outcome, d.Finished, d.Age, d.RTOSeconds, d.RPOSeconds = rec.Run, rec.Backup, rec.Outcome, &fin, &age, rec.RTOSeconds, rec.RPOSeconds
	switch {
	case rec.Outcome != drill.Passed:
		d.State, d.Reason = DrillFailed, clip(fmt.Sprintf("drill of backup %s failed %s ago: %s", rec.Backup, humanDuration(time.Duration(age)), rec.Reason), maxReason)
	case time.Duration(age) > o.DrillMaxAge:
		d.State, d.Reason = DrillStale, fmt.Sprintf("last drill (backup %s) passed %s ago, more than %s", rec.Backup, humanDuration(time.Duration(age)), o.DrillMaxAge)
	default:
		d.State, d.Reason = DrillVerified, fmt.Sprintf("backup %s restored and verified %s ago (RTO %.0fs, RPO %s)", rec.Backup, humanDuration(time.Duration(age)), rec.RTOSeconds, humanDuration(time.Duration(rec.RPOSeconds*float64(time.Second))))
	}
	return d, points
}

// backupPoints returns the history points of the backups the scan knows:
// those read (with their phase) and the other newest Schedule-made ones
// (by the time in their names, phase unknown).
func backupPoints(read []*Backup, cands *candidates) []Point {
	var out []Point
	seen := map[string]bool{}
	for _, b := range read {
		if t := b.time(); !t.IsZero() {
			out = append(out, Point{Kind: "backup", Name: b.Name, Time: t, Outcome: string(b.Phase)})
			seen[b.Name] = true
		}
	}
	for _, c := range cands.timed {
		if len(out) >= maxHistory {
			break
		}
		if !seen[c.name] {
			out = append(out, Point{Kind: "backup", Name: c.name, Time: c.t})
		}
	}
	return out
}

// DrillStateText is the cluster's drill state for tables, or "-" when
// drills are not judged.
func (s Status) DrillStateText() string {
	if s.Drill == nil {
		return "-"
	}
	return string(s.Drill.State)
}

// DrillRank orders drill states worst first (for sorting).
func (s Status) DrillRank() int {
	if s.Drill == nil {
		return len(DrillStates)
	}
	for i, x := range DrillStates {
		if x == s.Drill.State {
			return i
		}
	}
	return len(DrillStates)
}

// history merges backup and drill points, oldest first.
func history(backups, drills []Point) []Point {
	out := append(backups, drills...)
	slices.SortStableFunc(out, func(a, b Point) int { return a.Time.Compare(b.Time) })
	return out
}

// DrillSummary counts clusters by drill state (every state present, 0
// included), or nil when no cluster's drills were judged.
func (r *Report) DrillSummary() map[DrillState]int {
	var out map[DrillState]int
	for _, c := range r.Clusters {
		if c.Drill == nil {
			continue
		}
		if out == nil {
			out = map[DrillState]int{}
			for _, s := range DrillStates {
				out[s] = 0
			}
		}
		out[c.Drill.State]++
	}
	return out
}

// NotVerified returns "project/cluster (state)" of every cluster whose
// drills were judged and are not verified.
func (r *Report) NotVerified() []string {
	var out []string
	for _, c := range r.Clusters {
		if c.Drill != nil && c.Drill.State != DrillVerified {
			out = append(out, c.ProjectID+"/"+c.ClusterID+" ("+string(c.Drill.State)+")")
		}
	}
	return out
}

// writeDrillLines writes the drill summary line and one line per cluster
// whose drills are not verified, with the reason (tables only).
func (r *Report) writeDrillLines(w io.Writer) error {
	sum := r.DrillSummary()
	if sum == nil {
		return nil
	}
	parts := make([]string, 0, len(DrillStates))
	for _, s := range DrillStates {
		parts = append(parts, fmt.Sprintf("%d %s", sum[s], s))
	}
	_, err := fmt.Fprintf(w, "drills: %s\n", strings.Join(parts, ", "))
	return err
}

// stripPoint is one mark of the HTML report's history strip.
type stripPoint struct {
	Kind, Outcome, Class, Title string
	// Left is the mark's position in percent of the strip.
	Left string
}

// historyFrom is the start of the report's history strips: the oldest
// point of any cluster (one time axis for the whole fleet).
func (r *Report) historyFrom() time.Time {
	from := r.GeneratedAt
	for _, c := range r.Clusters {
		if len(c.History) > 0 && c.History[0].Time.Before(from) {
			from = c.History[0].Time
		}
	}
	return from
}

// strip places a cluster's history on the time axis [from, to]: backups
// as dots, drills as diamonds, green for Completed and passed, red for a
// failed phase or drill, grey when unknown.
func strip(s Status, from, to time.Time) []stripPoint {
	span := to.Sub(from)
	out := make([]stripPoint, 0, len(s.History))
	for _, p := range s.History {
		left := 100.0
		if span > 0 {
			left = 100 * float64(p.Time.Sub(from)) / float64(span)
		}
		class := ""
		switch p.Outcome {
		case string(drill.Passed), "Completed":
			class = "ok"
		case string(drill.Failed), "Failed", "PartiallyFailed", "FailedValidation":
			class = "bad"
		}
		outcome := p.Outcome
		if outcome == "" {
			outcome = "unknown"
		}
		out = append(out, stripPoint{Kind: p.Kind, Outcome: outcome, Class: class, Left: fmt.Sprintf("%.1f", min(max(left, 0), 100)),
			Title: fmt.Sprintf("%s %s %s %s", p.Kind, path.Base(p.Name), outcome, p.Time.UTC().Format(time.RFC3339))})
	}
	return out
}
