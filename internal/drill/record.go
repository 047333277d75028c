package drill

import (
	"time"
)

// Outcome is a drill's result.
type Outcome string

// Outcomes.
const (
	// Passed: every check passed.
	Passed Outcome = "passed"
	// Failed: a check failed, or the drill could not run to its end; Reason
	// says what broke.
	Failed Outcome = "failed"
)

// RecordVersion is the version of the record's format.
const RecordVersion = "clusterbackup.io/drill/v1"

// Check is one judged property of a drill.
type Check struct {
	// Name identifies the check (restorePhase, items, podVolumes, …).
	Name string `json:"name"`
	// Passed says whether it held.
	Passed bool `json:"passed"`
	// Detail says what was found, in one line.
	Detail string `json:"detail"`
}

// Record is the evidence of one drill: what was restored where, the checks,
// RTO, RPO and the outcome. Sign turns it into the signed form stored in the
// bucket; Verify reads it back.
type Record struct {
	// Version is RecordVersion.
	Version string `json:"version"`
	// ProjectID and ClusterID identify the cluster.
	ProjectID string `json:"project"`
	ClusterID string `json:"cluster"`
	// Run identifies the drill (its labels and scratch names derive from it).
	Run string `json:"run"`
	// Backup is the Velero Backup restored, and BackupCompleted when it
	// completed.
	Backup          string     `json:"backup"`
	BackupCompleted *time.Time `json:"backupCompleted,omitempty"`
	// Restore is the Velero Restore the drill created.
	Restore string `json:"restore,omitempty"`
	// Namespaces maps each restored namespace of the backup to its scratch
	// namespace.
	Namespaces map[string]string `json:"namespaces,omitempty"`
	// Checks are the judged properties, in a fixed order.
	Checks []Check `json:"checks"`
	// Started and Finished bound the drill (cleanup included).
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// RTOSeconds is the restore's duration (Restore created to finished);
	// RPOSeconds the backup's age when the drill started (from its
	// completion).
	RTOSeconds float64 `json:"rtoSeconds"`
	RPOSeconds float64 `json:"rpoSeconds"`
	// Outcome is passed or failed; Reason says why it failed, in one line.
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
	// CleanedUp says whether the scratch namespaces and the Restore were
	// deleted before the record was written.
	CleanedUp bool `json:"cleanedUp"`
}

// Fail marks the record failed with reason (clipped to MaxReason bytes),
// keeping the first reason given.
func (r *Record) Fail(reason string) {
	if r.Outcome == Failed && r.Reason != "" {
		return
	}
	r.Outcome, r.Reason = Failed, Clip(reason, MaxReason)
}

// MaxReason bounds a record's reason and a check's detail: both may quote
// texts from the user cluster (a Restore's failure reason).
const MaxReason = 300

// Clip cuts s to at most n bytes on a rune boundary, marking the cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
