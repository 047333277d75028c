package fleet

import (
	"encoding/json"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Bounds of what the inventory keeps of a velero-backup.json, whose
// content the cluster's tenant controls.
const (
	// maxScheduleLabel bounds Backup.Schedule: a label value has at most 63
	// characters, so a longer one was not written by Velero; it is clipped.
	maxScheduleLabel = validation.LabelValueMaxLength
)

// backupPhases are Velero's Backup phases (the CRD's status.phase enum);
// any other status.phase is recorded as PhaseUnknown.
var backupPhases = map[velerov1.BackupPhase]bool{
	velerov1.BackupPhaseNew:                                       true,
	velerov1.BackupPhaseQueued:                                    true,
	velerov1.BackupPhaseReadyToStart:                              true,
	velerov1.BackupPhaseFailedValidation:                          true,
	velerov1.BackupPhaseInProgress:                                true,
	velerov1.BackupPhaseWaitingForPluginOperations:                true,
	velerov1.BackupPhaseWaitingForPluginOperationsPartiallyFailed: true,
	velerov1.BackupPhaseFinalizing:                                true,
	velerov1.BackupPhaseFinalizingPartiallyFailed:                 true,
	velerov1.BackupPhaseCompleted:                                 true,
	velerov1.BackupPhasePartiallyFailed:                           true,
	velerov1.BackupPhaseFailed:                                    true,
	velerov1.BackupPhaseDeleting:                                  true,
}

// metadata is the part of a velero.io/v1 Backup the inventory uses.
// Decoding into it skips everything else without allocating, so a
// metadata file costs its bytes and not the much larger decoded form of a
// hostile spec or label map. (encoding/json matches field names, this
// label key included, case-insensitively, as it does for velerov1.Backup.)
type metadata struct {
	Kind     string `json:"kind"`
	Metadata struct {
		CreationTimestamp metav1.Time `json:"creationTimestamp"`
		Labels            struct {
			Schedule string `json:"velero.io/schedule-name"`
		} `json:"labels"`
	} `json:"metadata"`
	Status struct {
		Phase               velerov1.BackupPhase `json:"phase"`
		StartTimestamp      *metav1.Time         `json:"startTimestamp"`
		CompletionTimestamp *metav1.Time         `json:"completionTimestamp"`
		Errors              int                  `json:"errors"`
		Warnings            int                  `json:"warnings"`
		FailureReason       string               `json:"failureReason"`
	} `json:"status"`
}

// decodeBackup returns what the inventory keeps of the velero-backup.json
// data of the backup name: every text bounded (the phase one of Velero's
// or PhaseUnknown, the schedule label at maxScheduleLabel, the failure
// reason at maxReason), or an Unreadable backup when data is not a
// velero.io/v1 Backup.
func decodeBackup(name string, data []byte) *Backup {
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil || m.Kind != "Backup" {
		return &Backup{Name: name, Phase: PhaseUnreadable, FailureReason: storage.BackupMetadataFile + " is not a velero.io/v1 Backup"}
	}
	b := &Backup{
		Name: name, Phase: m.Status.Phase, Schedule: clip(m.Metadata.Labels.Schedule, maxScheduleLabel),
		Errors: m.Status.Errors, Warnings: m.Status.Warnings, FailureReason: clip(m.Status.FailureReason, maxReason),
	}
	switch {
	case b.Phase == "":
		b.Phase = velerov1.BackupPhaseNew
	case !backupPhases[b.Phase]:
		b.Phase = PhaseUnknown
	}
	switch {
	case m.Status.StartTimestamp != nil:
		t := m.Status.StartTimestamp.UTC()
		b.Started = &t
	case !m.Metadata.CreationTimestamp.IsZero():
		t := m.Metadata.CreationTimestamp.UTC()
		b.Started = &t
	}
	if m.Status.CompletionTimestamp != nil {
		t := m.Status.CompletionTimestamp.UTC()
		b.Completed = &t
	}
	return b
}
