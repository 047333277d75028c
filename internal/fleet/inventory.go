package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/download"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// MetadataFile is the name of Velero's backup metadata object in
// backups/<name>/.
const MetadataFile = "velero-backup.json"

// Backup is what the inventory keeps of one velero-backup.json.
type Backup struct {
	// Name is the Backup's name (its folder under backups/).
	Name string `json:"name"`
	// Phase is status.phase; "Unreadable" when the metadata could not be
	// read or decoded, "Missing" when the folder holds no metadata (yet).
	Phase velerov1.BackupPhase `json:"phase"`
	// Schedule is the velero.io/schedule-name label, if any.
	Schedule string `json:"schedule,omitempty"`
	// Started is status.startTimestamp, else metadata.creationTimestamp,
	// else the time in the name.
	Started *time.Time `json:"started,omitempty"`
	// Completed is status.completionTimestamp.
	Completed *time.Time `json:"completed,omitempty"`
	// Errors and Warnings are status.errors and status.warnings.
	Errors   int `json:"errors,omitempty"`
	Warnings int `json:"warnings,omitempty"`
	// FailureReason is status.failureReason.
	FailureReason string `json:"failureReason,omitempty"`
}

// Pseudo-phases of backups whose metadata could not be used.
const (
	PhaseUnreadable velerov1.BackupPhase = "Unreadable"
	PhaseMissing    velerov1.BackupPhase = "Missing"
)

// failedPhases are the end states that are not a success.
var failedPhases = map[velerov1.BackupPhase]bool{
	velerov1.BackupPhaseFailed:           true,
	velerov1.BackupPhasePartiallyFailed:  true,
	velerov1.BackupPhaseFailedValidation: true,
}

// time returns when the backup ran, for ordering.
func (b *Backup) time() time.Time {
	if b.Started != nil {
		return *b.Started
	}
	if b.Completed != nil {
		return *b.Completed
	}
	return time.Time{}
}

// nameTime matches the timestamp Velero appends to the Backups of a
// Schedule: <schedule>-20060102150405.
var nameTime = regexp.MustCompile(`-(\d{14})$`)

// timeInName returns the time in a Schedule-made backup name.
func timeInName(name string) (time.Time, bool) {
	m := nameTime.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", m[1])
	return t, err == nil
}

// Inventory scans every cluster (at most Options.Concurrency at once, each
// within Options.ClusterTimeout) and returns the report, clusters sorted by
// project and cluster ID. It never fails as a whole: a cluster whose
// storage cannot be read is Unreachable.
func Inventory(ctx context.Context, clusters []Cluster, o Options) *Report {
	o = o.withDefaults()
	now := o.Now()
	out := make([]Status, len(clusters))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i := range clusters {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = scan(ctx, clusters[i], o, now)
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].ProjectID != out[j].ProjectID {
			return out[i].ProjectID < out[j].ProjectID
		}
		return out[i].ClusterID < out[j].ClusterID
	})
	return newReport(now, out)
}

// scan inventories one cluster.
func scan(ctx context.Context, c Cluster, o Options, now time.Time) (st Status) {
	st = Status{
		ProjectID: c.ProjectID, ClusterID: c.ClusterID,
		Bucket: c.Location.Bucket, Endpoint: c.Location.Endpoint, Prefix: c.Location.Prefix,
		Schedules: c.Schedules, Phases: map[velerov1.BackupPhase]int{},
	}
	if c.Release.Known() {
		r := c.Release
		st.Release = &r
	}
	st.ExpectedInterval = Duration(expectedInterval(c.Schedules, o))
	start := time.Now()
	defer func() { st.ScanDuration = Duration(time.Since(start)) }()
	if c.Err != nil {
		st.unreachable(c.Err.Error())
		return st
	}
	ctx, cancel := context.WithTimeout(ctx, o.ClusterTimeout)
	defer cancel()
	counted := func(rt httpRoundTripper) httpRoundTripper { return &countingRT{next: rt, n: &st.Requests} }
	wrap := counted
	if o.Wrap != nil {
		wrap = func(rt httpRoundTripper) httpRoundTripper { return counted(o.Wrap(rt)) }
	}
	cl, err := o.Checker.Client(ctx, s3check.TargetFrom(c.Location), s3check.ClientOptions{MaxResponseBytes: max(o.MaxListBytes, o.MaxMetadataBytes), Wrap: wrap})
	if err != nil {
		st.unreachable(err.Error())
		return st
	}
	defer cl.Close()
	names, truncated, err := listBackups(ctx, cl, c.Location.Bucket, download.BackupsDir(c.Location.Prefix), o.MaxListPages)
	if err != nil {
		st.unreachable(cl.Classify(err).Message)
		return st
	}
	st.Stored = len(names)
	st.ListTruncated = truncated
	read, err := readNewest(ctx, cl, c.Location.Bucket, c.Location.Prefix, names, o)
	if err != nil {
		st.unreachable(cl.Classify(err).Message)
		return st
	}
	st.Inspected = len(read)
	for _, b := range read {
		st.Phases[b.Phase]++
	}
	judge(&st, read, c.Schedules, o, now)
	return st
}

// listBackups returns the backup names under dir (one ListObjectsV2 page
// with delimiter "/" per 1,000 backups, at most maxPages pages) in S3's
// lexical order; truncated reports that more remain.
func listBackups(ctx context.Context, cl *s3check.Client, bucket, dir string, maxPages int) (names []string, truncated bool, err error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(dir), Delimiter: aws.String("/")}
	for page := 0; page < maxPages; page++ {
		out, err := cl.S3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, err
		}
		for _, p := range out.CommonPrefixes {
			if n := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), dir), "/"); n != "" && !strings.Contains(n, "/") {
				names = append(names, n)
			}
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return names, false, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	return names, true, nil
}

// readNewest reads the metadata of the backups that decide the verdict:
// first the backups whose names carry no Schedule timestamp (their time is
// known only from the metadata; the lexically last ones first, leaving
// reads for up to MaxReads/2 Schedule-made ones), then
// the Schedule-made ones newest first, until one of those is Completed —
// the older ones cannot change the last success — or MaxReads files were
// read. A missing or undecodable file is recorded with a pseudo-phase; any
// other failed read is returned.
func readNewest(ctx context.Context, cl *s3check.Client, bucket, prefix string, names []string, o Options) ([]*Backup, error) {
	type cand struct {
		name string
		t    time.Time
	}
	var timed, untimed []cand
	for _, n := range names {
		if t, ok := timeInName(n); ok {
			timed = append(timed, cand{n, t})
		} else {
			untimed = append(untimed, cand{name: n})
		}
	}
	sort.SliceStable(timed, func(i, j int) bool {
		if !timed[i].t.Equal(timed[j].t) {
			return timed[i].t.After(timed[j].t)
		}
		return timed[i].name > timed[j].name
	})
	sort.SliceStable(untimed, func(i, j int) bool { return untimed[i].name > untimed[j].name })
	// Reads are kept for Schedule-made backups (as many as exist, at most
	// half of MaxReads), so that a cluster with many manual backups still
	// has its newest scheduled ones read.
	if limit := o.MaxReads - min(o.MaxReads/2, len(timed)); len(untimed) > limit {
		untimed = untimed[:limit]
	}
	var read []*Backup
	for gi, group := range [][]cand{untimed, timed} {
		for _, cd := range group {
			if len(read) >= o.MaxReads {
				return read, nil
			}
			b, err := readBackup(ctx, cl, bucket, download.BackupsDir(prefix)+cd.name+"/"+MetadataFile, cd.name, o.MaxMetadataBytes)
			if err != nil {
				return nil, err
			}
			if b.Started == nil && !cd.t.IsZero() {
				t := cd.t
				b.Started = &t
			}
			read = append(read, b)
			if gi == 1 && b.Phase == velerov1.BackupPhaseCompleted {
				return read, nil
			}
		}
	}
	return read, nil
}

// readBackup GETs one velero-backup.json, reading at most max bytes.
func readBackup(ctx context.Context, cl *s3check.Client, bucket, key, name string, max int64) (*Backup, error) {
	tooLarge := &Backup{Name: name, Phase: PhaseUnreadable, FailureReason: fmt.Sprintf("%s is larger than %d bytes", MetadataFile, max)}
	out, err := cl.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if errors.Is(err, s3check.ErrResponseTooLarge) {
			return tooLarge, nil
		}
		var nk interface{ ErrorCode() string }
		if errors.As(err, &nk) && (nk.ErrorCode() == "NoSuchKey" || nk.ErrorCode() == "NotFound") {
			return &Backup{Name: name, Phase: PhaseMissing}, nil
		}
		return nil, err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		if errors.Is(err, s3check.ErrResponseTooLarge) {
			return tooLarge, nil
		}
		return nil, err
	}
	if int64(len(data)) > max {
		return tooLarge, nil
	}
	var vb velerov1.Backup
	if err := json.Unmarshal(data, &vb); err != nil || vb.Kind != "Backup" {
		return &Backup{Name: name, Phase: PhaseUnreadable, FailureReason: MetadataFile + " is not a velero.io/v1 Backup"}, nil
	}
	b := &Backup{
		Name: name, Phase: vb.Status.Phase, Schedule: vb.Labels[velerov1.ScheduleNameLabel],
		Errors: vb.Status.Errors, Warnings: vb.Status.Warnings, FailureReason: clip(vb.Status.FailureReason, maxReason),
	}
	if b.Phase == "" {
		b.Phase = velerov1.BackupPhaseNew
	}
	switch {
	case vb.Status.StartTimestamp != nil:
		t := vb.Status.StartTimestamp.UTC()
		b.Started = &t
	case !vb.CreationTimestamp.IsZero():
		t := vb.CreationTimestamp.UTC()
		b.Started = &t
	}
	if vb.Status.CompletionTimestamp != nil {
		t := vb.Status.CompletionTimestamp.UTC()
		b.Completed = &t
	}
	return b, nil
}
