// Package fleettest writes Velero backup metadata into object storage for
// the fleet tests and benchmarks: velero-backup.json files shaped exactly
// as Velero writes them (a velero.io/v1 Backup as JSON), built from
// Velero's own API types.
package fleettest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Backup describes one backup to write.
type Backup struct {
	// Name is the Backup's name; with Schedule set and Name empty it is
	// <Schedule>-<Started as 20060102150405>, as Velero names them.
	Name string
	// Schedule is the velero.io/schedule-name label.
	Schedule string
	// Phase is status.phase.
	Phase velerov1.BackupPhase
	// Started is status.startTimestamp; Took the time to completion.
	Started time.Time
	Took    time.Duration
	// FailureReason is status.failureReason.
	FailureReason string
}

// BackupName returns the backup's name.
func (b Backup) BackupName() string {
	if b.Name != "" {
		return b.Name
	}
	return b.Schedule + "-" + b.Started.UTC().Format("20060102150405")
}

// JSON returns the velero-backup.json of b.
func (b Backup) JSON() []byte {
	start := metav1.NewTime(b.Started.UTC().Truncate(time.Second))
	done := metav1.NewTime(b.Started.Add(b.Took).UTC().Truncate(time.Second))
	vb := velerov1.Backup{
		TypeMeta:   metav1.TypeMeta{APIVersion: velerov1.SchemeGroupVersion.String(), Kind: "Backup"},
		ObjectMeta: metav1.ObjectMeta{Name: b.BackupName(), Namespace: "velero", CreationTimestamp: start},
		Spec:       velerov1.BackupSpec{StorageLocation: "default", TTL: metav1.Duration{Duration: 720 * time.Hour}},
		Status: velerov1.BackupStatus{
			Version: 1, FormatVersion: "1.1.0", Phase: b.Phase, StartTimestamp: &start,
			FailureReason: b.FailureReason,
		},
	}
	if b.Schedule != "" {
		vb.Labels = map[string]string{velerov1.ScheduleNameLabel: b.Schedule}
	}
	if b.Phase != velerov1.BackupPhaseInProgress && b.Phase != velerov1.BackupPhaseNew {
		vb.Status.CompletionTimestamp = &done
	}
	if b.Phase == velerov1.BackupPhaseFailed || b.Phase == velerov1.BackupPhasePartiallyFailed {
		vb.Status.Errors = 1
	}
	out, err := json.Marshal(&vb)
	if err != nil {
		panic(err) // static types
	}
	return out
}

// Key returns the object key of b's metadata under a cluster prefix.
func Key(prefix string, b Backup) string {
	return storage.LayoutOf(prefix).BackupMetadataKey(b.BackupName())
}

// Put writes b's velero-backup.json (and an empty tarball, as a real backup
// folder holds more than the metadata) under prefix.
func Put(ctx context.Context, c *s3.Client, bucket, prefix string, b Backup) error {
	for key, body := range map[string][]byte{
		Key(prefix, b): b.JSON(),
		storage.LayoutOf(prefix).BackupContentsKey(b.BackupName()): nil,
	} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
	}
	return nil
}

// WriteFile writes b's velero-backup.json straight into a versitygw posix
// data directory (dataDir/<bucket>/<key>), which versitygw serves as the
// object: fast seeding of large fleets for benchmarks.
func WriteFile(dataDir, bucket, prefix string, b Backup) error {
	p := filepath.Join(dataDir, bucket, filepath.FromSlash(Key(prefix, b)))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, b.JSON(), 0o644)
}
