package fleet

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Verdict is the backup health of one cluster.
type Verdict string

// Verdicts, from worst to best. Only Protected is healthy.
const (
	// Unreachable: the cluster's storage could not be listed or read (the
	// endpoint refused, timed out, denied access, or the location could not
	// be resolved for another reason than CredentialsMissing); nothing is
	// known about its backups.
	Unreachable Verdict = "storage-unreachable"
	// CredentialsMissing: the credential Secret the cluster's CBSL names
	// does not exist (for the CBSL's project), so its storage was not
	// read; nothing is known about its backups.
	CredentialsMissing Verdict = "credentials-missing"
	// Failing: the newest finished backup ended Failed, PartiallyFailed or
	// FailedValidation.
	Failing Verdict = "failing"
	// NeverBackedUp: no Completed backup under the cluster's prefix.
	NeverBackedUp Verdict = "never-backed-up"
	// Late: the last Completed backup is older than its Schedules allow:
	// a Schedule should have started another one more than the grace ago.
	Late Verdict = "late"
	// Protected: the newest finished backup is Completed and recent enough.
	Protected Verdict = "protected"
)

// Verdicts lists every verdict, worst first.
var Verdicts = []Verdict{Unreachable, CredentialsMissing, Failing, NeverBackedUp, Late, Protected}

// rank orders verdicts worst first.
func (v Verdict) rank() int {
	for i, x := range Verdicts {
		if x == v {
			return i
		}
	}
	return len(Verdicts)
}

// Status is the inventory of one cluster.
type Status struct {
	// ProjectID and ClusterID identify the cluster.
	ProjectID string `json:"project"`
	ClusterID string `json:"cluster"`
	// Bucket, Endpoint and Prefix say where its backups live.
	Bucket   string `json:"bucket"`
	Endpoint string `json:"endpoint,omitempty"`
	Prefix   string `json:"prefix"`
	// Verdict is the cluster's backup health; Reason says why in one line.
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason"`
	// Release is the seed release loop's state of the cluster's Velero
	// release (nil: unknown, e.g. a fleet deployed by GitOps).
	Release *ReleaseInfo `json:"release,omitempty"`
	// LastSuccess is the newest Completed backup read, and Age how long ago
	// it completed (started, when it has no completion time).
	LastSuccess *Backup   `json:"lastSuccess,omitempty"`
	Age         *Duration `json:"lastSuccessAge,omitempty"`
	// LastFailure is the newest failed backup read.
	LastFailure *Backup `json:"lastFailure,omitempty"`
	// Due is when the next backup should have started at the latest after
	// LastSuccess (the Schedules' next run plus the grace).
	Due *time.Time `json:"due,omitempty"`
	// Stored is how many backups the listing found; ListTruncated is set
	// when Options.MaxListPages cut the listing short. Foreign counts the
	// folders under backups/ whose names no Velero Backup can have (not a
	// DNS-1123 subdomain of at most 253 characters): not backups, never
	// read, not in Stored.
	Stored        int  `json:"stored"`
	Foreign       int  `json:"foreign,omitempty"`
	ListTruncated bool `json:"listTruncated,omitempty"`
	// Inspected is how many velero-backup.json files were read, and Phases
	// counts them by phase.
	Inspected int                          `json:"inspected"`
	Phases    map[velerov1.BackupPhase]int `json:"phases"`
	// Schedules are the cluster's Schedules; ExpectedInterval the shortest
	// interval of the unpaused ones (Options.Unscheduled without any).
	Schedules        []Schedule `json:"schedules"`
	ExpectedInterval Duration   `json:"expectedInterval"`
	// Drill is what the cluster's restore drill records prove (nil: drills
	// not judged, Options.DrillKey unset).
	Drill *Drill `json:"drill,omitempty"`
	// History are the cluster's recent backups and drills, oldest first
	// (the HTML report's strip; only with drills judged).
	History []Point `json:"history,omitempty"`
	// Requests is the number of HTTP requests the scan made, and
	// ScanDuration how long it took.
	Requests     int64    `json:"requests"`
	ScanDuration Duration `json:"scanDuration"`
}

// OK reports whether the cluster is protected.
func (s Status) OK() bool { return s.Verdict == Protected }

func (s *Status) unreachable(msg string) {
	s.Verdict, s.Reason = Unreachable, clip(msg, maxReason)
}

// unresolved records why the cluster's location could not be resolved:
// CredentialsMissing for an absent credential Secret, else Unreachable.
func (s *Status) unresolved(err error) {
	s.unreachable(err.Error())
	if storage.MissingCredential(err) {
		s.Verdict = CredentialsMissing
	}
}

// maxReason bounds texts taken from storage or errors.
const maxReason = 300

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// expectedInterval is the shortest interval of the unpaused schedules, or
// Options.Unscheduled.
func expectedInterval(schedules []Schedule, o Options) time.Duration {
	var d time.Duration
	for _, s := range schedules {
		if !s.Paused && (d == 0 || time.Duration(s.Interval) < d) {
			d = time.Duration(s.Interval)
		}
	}
	if d == 0 {
		return o.Unscheduled
	}
	return d
}

// judge sets the verdict from the backups read.
func judge(st *Status, read []*Backup, schedules []Schedule, o Options, now time.Time) {
	sort.SliceStable(read, func(i, j int) bool { return read[i].time().After(read[j].time()) })
	var newestFinished *Backup
	for _, b := range read {
		switch {
		case b.Phase == velerov1.BackupPhaseCompleted:
			if st.LastSuccess == nil {
				st.LastSuccess = b
			}
		case failedPhases[b.Phase]:
			if st.LastFailure == nil {
				st.LastFailure = b
			}
		default:
			continue
		}
		if newestFinished == nil {
			newestFinished = b
		}
	}
	if ls := st.LastSuccess; ls != nil {
		at := ls.time()
		if ls.Completed != nil {
			at = *ls.Completed
		}
		age := Duration(now.Sub(at).Truncate(time.Second))
		st.Age = &age
	}
	switch {
	case newestFinished != nil && newestFinished != st.LastSuccess:
		f := newestFinished
		st.Verdict = Failing
		st.Reason = fmt.Sprintf("newest finished backup %s ended %s", f.Name, f.Phase)
		if f.FailureReason != "" {
			st.Reason += ": " + f.FailureReason
		} else if f.Errors > 0 {
			st.Reason += fmt.Sprintf(" with %d errors", f.Errors)
		}
		return
	case st.LastSuccess == nil:
		st.Verdict = NeverBackedUp
		if st.Stored == 0 {
			st.Reason = "no backups under " + st.Prefix + "/backups/"
		} else {
			st.Reason = fmt.Sprintf("%d backups stored, none Completed among the %d newest read", st.Stored, st.Inspected)
		}
		return
	}
	ls := st.LastSuccess
	start := ls.time()
	due, which := time.Time{}, ""
	for _, s := range schedules {
		if s.Paused {
			continue
		}
		if d := s.Next(start).Add(o.grace(time.Duration(s.Interval))); !d.IsZero() && (due.IsZero() || d.Before(due)) {
			due, which = d, "Schedule "+s.Name+" ("+s.Cron+")"
		}
	}
	if due.IsZero() {
		due, which = start.Add(o.Unscheduled+o.grace(o.Unscheduled)), "no unpaused Schedule; expected every "+o.Unscheduled.String()
	}
	due = due.UTC()
	st.Due = &due
	if now.After(due) {
		st.Verdict = Late
		st.Reason = fmt.Sprintf("last successful backup %s started %s; %s expected a new one by %s", ls.Name, start.UTC().Format(time.RFC3339), which, due.Format(time.RFC3339))
		return
	}
	st.Verdict = Protected
	st.Reason = fmt.Sprintf("last successful backup %s, %s ago", ls.Name, time.Duration(*st.Age))
}

// Report is the inventory of a fleet.
type Report struct {
	// GeneratedAt is the time the verdicts were judged at.
	GeneratedAt time.Time `json:"generatedAt"`
	// Summary counts clusters by verdict (every verdict present, 0 included).
	Summary map[Verdict]int `json:"summary"`
	// Clusters are sorted by project and cluster ID.
	Clusters []Status `json:"clusters"`
}

func newReport(now time.Time, clusters []Status) *Report {
	r := &Report{GeneratedAt: now.UTC(), Summary: map[Verdict]int{}, Clusters: clusters}
	for _, v := range Verdicts {
		r.Summary[v] = 0
	}
	for _, c := range clusters {
		r.Summary[c.Verdict]++
	}
	return r
}

// OK reports whether every cluster is protected.
func (r *Report) OK() bool { return r.Summary[Protected] == len(r.Clusters) }

// NotProtected returns "project/cluster (verdict)" of every cluster that is
// not protected.
func (r *Report) NotProtected() []string {
	var out []string
	for _, c := range r.Clusters {
		if !c.OK() {
			out = append(out, c.ProjectID+"/"+c.ClusterID+" ("+string(c.Verdict)+")")
		}
	}
	return out
}

// String summarizes the report in one line.
func (r *Report) String() string {
	parts := make([]string, 0, len(Verdicts))
	for _, v := range Verdicts {
		parts = append(parts, fmt.Sprintf("%d %s", r.Summary[v], v))
	}
	return fmt.Sprintf("%d clusters: %s", len(r.Clusters), strings.Join(parts, ", "))
}

// httpRoundTripper is http.RoundTripper (short for the wrappers).
type httpRoundTripper = http.RoundTripper

// countingRT counts the requests that reach the transport.
type countingRT struct {
	next httpRoundTripper
	n    *int64
}

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	atomic.AddInt64(c.n, 1)
	return c.next.RoundTrip(r)
}
