package fleet

import (
	"context"
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

	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/s3client"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Backup is what the inventory keeps of one velero-backup.json.
type Backup struct {
	// Name is the Backup's name (its folder under backups/).
	Name string `json:"name"`
	// Phase is status.phase; "Unreadable" when the metadata could not be
	// read or decoded, "Missing" when the folder holds no metadata (yet),
	// "Unknown" when status.phase is none of Velero's phases.
	Phase velerov1.BackupPhase `json:"phase"`
	// Schedule is the velero.io/schedule-name label, if any (clipped at 63
	// bytes, a label value's limit).
	Schedule string `json:"schedule,omitempty"`
	// Started is status.startTimestamp, else metadata.creationTimestamp,
	// else the time in the name.
	Started *time.Time `json:"started,omitempty"`
	// Completed is status.completionTimestamp.
	Completed *time.Time `json:"completed,omitempty"`
	// Errors and Warnings are status.errors and status.warnings.
	Errors   int `json:"errors,omitempty"`
	Warnings int `json:"warnings,omitempty"`
	// FailureReason is status.failureReason (clipped at 300 bytes).
	FailureReason string `json:"failureReason,omitempty"`
}

// Pseudo-phases of backups whose metadata could not be used.
const (
	PhaseUnreadable velerov1.BackupPhase = "Unreadable"
	PhaseMissing    velerov1.BackupPhase = "Missing"
	PhaseUnknown    velerov1.BackupPhase = "Unknown"
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
		st.unresolved(c.Err)
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
	cands := &candidates{keep: o.MaxReads}
	layout := storage.LayoutOf(c.Location.Prefix)
	truncated, err := listBackups(ctx, cl, c.Location.Bucket, layout.BackupsDir(), o.MaxListPages, func(name string) {
		if !IsBackupName(name) {
			st.Foreign++
			return
		}
		st.Stored++
		cands.add(name)
	})
	if err != nil {
		st.unreachable(cl.Classify(err).Message)
		return st
	}
	st.ListTruncated = truncated
	read, err := readNewest(ctx, cl, c.Location.Bucket, layout, cands, o)
	if err != nil {
		st.unreachable(cl.Classify(err).Message)
		return st
	}
	st.Inspected = len(read)
	for _, b := range read {
		st.Phases[b.Phase]++
	}
	judge(&st, read, c.Schedules, o, now)
	if o.DrillKey != nil {
		var drills []Point
		st.Drill, drills = scanDrills(ctx, cl, c, o, now)
		st.History = history(backupPoints(read, cands), drills)
	}
	return st
}

// listBackups hands each folder name under dir to found (one
// ListObjectsV2 page with delimiter "/" per 1,000 backups, at most maxPages
// pages), in S3's lexical order, keeping no page once found has seen it;
// truncated reports that more remain.
func listBackups(ctx context.Context, cl *s3client.Client, bucket, dir string, maxPages int, found func(name string)) (truncated bool, err error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(dir), Delimiter: aws.String("/")}
	for page := 0; page < maxPages; page++ {
		out, err := cl.S3.ListObjectsV2(ctx, in)
		if err != nil {
			return false, err
		}
		for _, p := range out.CommonPrefixes {
			if n := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), dir), "/"); n != "" && !strings.Contains(n, "/") {
				found(n)
			}
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return false, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	return true, nil
}

// readNewest reads the metadata of the backups that decide the verdict:
// first the backups whose names carry no Schedule timestamp (their time is
// known only from the metadata; the lexically last ones first, leaving
// reads for up to MaxReads/2 Schedule-made ones), then
// the Schedule-made ones newest first, until one of those is Completed —
// the older ones cannot change the last success — or MaxReads files were
// read. A missing or undecodable file is recorded with a pseudo-phase; any
// other failed read is returned. Reads are kept for Schedule-made backups
// (as many as exist, at most half of MaxReads), so that a cluster with many
// manual backups still has its newest scheduled ones read.
func readNewest(ctx context.Context, cl *s3client.Client, bucket string, layout storage.Layout, cands *candidates, o Options) ([]*Backup, error) {
	order, firstTimed := cands.order(o.MaxReads)
	var read []*Backup
	for i, cd := range order {
		if len(read) >= o.MaxReads {
			return read, nil
		}
		b, err := readBackup(ctx, cl, bucket, layout.BackupMetadataKey(cd.name), cd.name, o.MaxMetadataBytes)
		if err != nil {
			return nil, err
		}
		if b.Started == nil && !cd.t.IsZero() {
			t := cd.t
			b.Started = &t
		}
		read = append(read, b)
		if i >= firstTimed && b.Phase == velerov1.BackupPhaseCompleted {
			return read, nil
		}
	}
	return read, nil
}

// readBackup GETs one velero-backup.json, reading at most max bytes
// (Options.MaxMetadataBytes), and decodes it (decodeBackup).
func readBackup(ctx context.Context, cl *s3client.Client, bucket, key, name string, max int64) (*Backup, error) {
	tooLarge := &Backup{Name: name, Phase: PhaseUnreadable, FailureReason: fmt.Sprintf("%s is larger than %d bytes", storage.BackupMetadataFile, max)}
	out, err := cl.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if errors.Is(err, s3client.ErrResponseTooLarge) {
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
		if errors.Is(err, s3client.ErrResponseTooLarge) {
			return tooLarge, nil
		}
		return nil, err
	}
	if int64(len(data)) > max {
		return tooLarge, nil
	}
	return decodeBackup(name, data), nil
}
