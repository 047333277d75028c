package fleet

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
)

func TestDecodeBackup(t *testing.T) {
	start := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	kib := strings.Repeat("x", 1<<10)
	for name, tc := range map[string]struct {
		data                             []byte
		phase                            velerov1.BackupPhase
		schedule, reason                 string
		started, completed, errors, warn bool
	}{
		"velero's": {
			data:  fleettest.Backup{Schedule: "daily", Phase: velerov1.BackupPhasePartiallyFailed, Started: start, Took: time.Minute, FailureReason: "plugin"}.JSON(),
			phase: velerov1.BackupPhasePartiallyFailed, schedule: "daily", reason: "plugin", started: true, completed: true, errors: true,
		},
		"every Velero phase is kept": {
			data:  fleettest.Backup{Name: "b", Phase: velerov1.BackupPhaseWaitingForPluginOperationsPartiallyFailed, Started: start}.JSON(),
			phase: velerov1.BackupPhaseWaitingForPluginOperationsPartiallyFailed, started: true, completed: true,
		},
		"no phase is New": {
			data: []byte(`{"kind":"Backup","metadata":{"creationTimestamp":"2026-12-01T02:00:00Z"}}`), phase: velerov1.BackupPhaseNew, started: true,
		},
		"a phase Velero does not have": {
			data:  fleettest.Backup{Name: "b", Phase: velerov1.BackupPhase(kib), Started: start, Took: time.Minute}.JSON(),
			phase: PhaseUnknown, started: true, completed: true,
		},
		"a phase in another case": {
			data:  fleettest.Backup{Name: "b", Phase: "completed", Started: start, Took: time.Minute}.JSON(),
			phase: PhaseUnknown, started: true, completed: true,
		},
		"long label and reason clipped": {
			data:  fleettest.Backup{Name: "b", Schedule: kib, Phase: velerov1.BackupPhaseFailed, FailureReason: kib, Started: start, Took: time.Minute}.JSON(),
			phase: velerov1.BackupPhaseFailed, schedule: strings.Repeat("x", 63) + "…", reason: strings.Repeat("x", 300) + "…", started: true, completed: true, errors: true,
		},
		"not a Backup": {
			data: []byte(`{"kind":"Restore","status":{"phase":"Completed"}}`), phase: PhaseUnreadable, reason: "velero-backup.json is not a velero.io/v1 Backup",
		},
		"not JSON": {
			data: []byte(`{"kind":"Backup",`), phase: PhaseUnreadable, reason: "velero-backup.json is not a velero.io/v1 Backup",
		},
		"a label of the wrong type": {
			data: []byte(`{"kind":"Backup","metadata":{"labels":{"velero.io/schedule-name":7}}}`), phase: PhaseUnreadable, reason: "velero-backup.json is not a velero.io/v1 Backup",
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := decodeBackup("b", tc.data)
			if b.Name != "b" || b.Phase != tc.phase || b.Schedule != tc.schedule || b.FailureReason != tc.reason ||
				(b.Started != nil) != tc.started || (b.Completed != nil) != tc.completed || (b.Errors > 0) != tc.errors || (b.Warnings > 0) != tc.warn {
				t.Fatalf("got %+v", b)
			}
			if tc.started && !b.Started.Equal(start) {
				t.Fatalf("started %s, want %s", b.Started, start)
			}
		})
	}
}

// TestDecodeBackupCostsItsBytes: a metadata file at the size limit full of
// what the inventory does not use (a label map and a namespace list of
// 1 MiB) allocates a few objects, not the hundreds of thousands (and
// several times the file's size) a velerov1.Backup would.
func TestDecodeBackupCostsItsBytes(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b","labels":{`)
	for i := 0; sb.Len() < DefaultMaxMetadataBytes/2; i++ {
		fmt.Fprintf(&sb, `"l%d":"",`, i)
	}
	sb.WriteString(`"velero.io/schedule-name":"daily"}},"spec":{"includedNamespaces":[`)
	for sb.Len() < DefaultMaxMetadataBytes-100 {
		sb.WriteString(`"",`)
	}
	sb.WriteString(`""]},"status":{"phase":"Completed"}}`)
	data := []byte(sb.String())
	if len(data) > DefaultMaxMetadataBytes {
		t.Fatalf("%d bytes", len(data))
	}

	allocs := testing.AllocsPerRun(3, func() { decodeBackup("b", data) })
	bytes := allocated(func() { decodeBackup("b", data) })
	velero := func() { _ = json.Unmarshal(data, new(velerov1.Backup)) }
	velAllocs := testing.AllocsPerRun(1, velero)
	velBytes := allocated(velero)
	t.Logf("%d KiB of metadata: %.0f allocations, %d bytes (as a velerov1.Backup: %.0f allocations, %d KiB)", len(data)>>10, allocs, bytes, velAllocs, velBytes>>10)
	if b := decodeBackup("b", data); b.Phase != velerov1.BackupPhaseCompleted || b.Schedule != "daily" {
		t.Fatalf("got %+v", b)
	}
	if allocs > 20 || bytes > 16<<10 {
		t.Fatalf("%.0f allocations, %d bytes; want at most 20 and 16 KiB", allocs, bytes)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
