package fleet

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

// Schedule is one Velero Schedule deployed into a cluster, as the renderer
// renders it (chart values schedules.<name>).
type Schedule struct {
	// Name is the Schedule's name; its Backups are named <Name>-<timestamp>.
	Name string `json:"name"`
	// Cron is spec.schedule (5 fields or a descriptor, Velero's parser).
	Cron string `json:"cron"`
	// Paused Schedules make no backups and are not expected to.
	Paused bool `json:"paused,omitempty"`
	// Interval is the longest gap between two runs of Cron (see Interval).
	Interval Duration `json:"interval"`

	sched cron.Schedule
}

// ParseSchedule parses a Schedule's cron expression with Velero's semantics
// (the user webhook's velerorules.ValidateCron, then robfig/cron's standard
// parser) and computes its interval. fld names the field in errors.
func ParseSchedule(name, expr string, paused bool, fld *field.Path) (Schedule, error) {
	if errs := velerorules.ValidateCron(expr, fld); len(errs) > 0 {
		return Schedule{}, errs.ToAggregate()
	}
	sc, err := cron.ParseStandard(expr)
	if err != nil { // ValidateCron parsed it already
		return Schedule{}, fmt.Errorf("%s: %w", fld, err)
	}
	return Schedule{Name: name, Cron: expr, Paused: paused, Interval: Duration(interval(expr, sc)), sched: sc}, nil
}

// SchedulesFromValues returns the Schedules of a cluster from its chart
// values (renderer.Values): the section schedules.<name>.{schedule,paused},
// sorted by name. With disabled (the chart's `disabled` value) every
// Schedule is paused, as the chart renders it. Errors name the values field.
func SchedulesFromValues(values map[string]any) ([]Schedule, error) {
	raw, _ := values["schedules"].(map[string]any)
	disabled, _ := values["disabled"].(bool)
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Schedule
	var errs field.ErrorList
	for _, n := range names {
		fld := field.NewPath("schedules").Key(n)
		m, ok := raw[n].(map[string]any)
		if !ok {
			errs = append(errs, field.Invalid(fld, raw[n], "must be a map with schedule, template, paused"))
			continue
		}
		expr, _ := m["schedule"].(string)
		paused, _ := m["paused"].(bool)
		s, err := ParseSchedule(n, expr, paused || disabled, fld.Child("schedule"))
		if err != nil {
			errs = append(errs, field.Invalid(fld.Child("schedule"), expr, err.Error()))
			continue
		}
		out = append(out, s)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("values: %w", errs.ToAggregate())
	}
	return out, nil
}

// Next returns the first run of the Schedule after t.
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		sc, err := cron.ParseStandard(s.Cron)
		if err != nil {
			return time.Time{}
		}
		s.sched = sc
	}
	return s.sched.Next(t)
}

// intervals caches interval by cron expression: a fleet shares a few.
var intervals sync.Map

// intervalRuns is how many consecutive runs interval looks at, and
// intervalSpan the time they must cover at least.
const (
	intervalRuns = 64
	intervalSpan = 400 * 24 * time.Hour
)

// interval returns the longest gap between consecutive runs of a schedule,
// over intervalRuns runs and a span of intervalRuns times the longest gap
// (at most intervalSpan, about a year) (so "0 2 * * 1-5" is 72h, a
// monthly schedule 31 days), counted from a fixed reference so that the
// answer is the same every time.
func interval(expr string, sc cron.Schedule) time.Duration {
	if d, ok := intervals.Load(expr); ok {
		return d.(time.Duration)
	}
	if c, ok := sc.(cron.ConstantDelaySchedule); ok {
		intervals.Store(expr, c.Delay)
		return c.Delay
	}
	ref := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var longest time.Duration
	prev := sc.Next(ref)
	for i := 0; !prev.IsZero() && i < 100000; i++ {
		if i >= intervalRuns && prev.Sub(ref) >= min(intervalSpan, intervalRuns*longest) {
			break
		}
		next := sc.Next(prev)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	intervals.Store(expr, longest)
	return longest
}
