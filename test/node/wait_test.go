package node

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// waitPodsReady waits until want pods matching labels in ns are Ready and
// returns how long it took.
func waitPodsReady(t *testing.T, c client.Client, ns string, labels map[string]string, want int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	testenv.Eventually(t, timeout, fmt.Sprintf("%d pods %v Ready in %s", want, labels, ns), func() (bool, error) {
		pods, err := readyPods(c, ns, labels)
		if err != nil {
			return false, err
		}
		return len(pods) >= want, fmt.Errorf("%d Ready: %s", len(pods), podStates(c, ns, labels))
	})
	return time.Since(start)
}

// readyPods lists the Ready, not terminating pods matching labels.
func readyPods(c client.Client, ns string, labels map[string]string) ([]corev1.Pod, error) {
	var list corev1.PodList
	if err := c.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// podStates summarizes pods for a failure message: phase and each
// container's waiting or terminated reason.
func podStates(c client.Client, ns string, labels map[string]string) string {
	var list corev1.PodList
	if err := c.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
		return err.Error()
	}
	s := ""
	for _, p := range list.Items {
		s += fmt.Sprintf("[%s %s", p.Name, p.Status.Phase)
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			switch {
			case cs.State.Waiting != nil:
				s += fmt.Sprintf(" %s:%s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message)
			case cs.State.Terminated != nil:
				s += fmt.Sprintf(" %s:exit %d %s", cs.Name, cs.State.Terminated.ExitCode, cs.State.Terminated.Reason)
			}
		}
		s += "]"
	}
	return s
}

func waitBSLAvailable(t *testing.T, c client.Client, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	testenv.Eventually(t, timeout, "BSL default Available", func() (bool, error) {
		var bsl velerov1.BackupStorageLocation
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: "default"}, &bsl); err != nil {
			return false, err
		}
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, errors.New("phase " + string(bsl.Status.Phase) + " " + bsl.Status.Message)
	})
	return time.Since(start)
}

// waitBackupDone waits for a Backup to end and returns its phase; the
// failure phases are returned, not fatal, so fault tests can inspect them.
func waitBackupDone(t *testing.T, c client.Client, name string, timeout time.Duration) velerov1.BackupPhase {
	t.Helper()
	var phase velerov1.BackupPhase
	testenv.Eventually(t, timeout, "backup "+name+" done", func() (bool, error) {
		var b velerov1.Backup
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: name}, &b); err != nil {
			return false, err
		}
		phase = b.Status.Phase
		switch phase {
		case velerov1.BackupPhaseCompleted, velerov1.BackupPhaseFailed, velerov1.BackupPhaseFailedValidation, velerov1.BackupPhasePartiallyFailed:
			return true, nil
		}
		return false, errors.New("phase " + string(phase))
	})
	return phase
}

func waitRestoreDone(t *testing.T, c client.Client, name string, timeout time.Duration) velerov1.RestorePhase {
	t.Helper()
	var phase velerov1.RestorePhase
	testenv.Eventually(t, timeout, "restore "+name+" done", func() (bool, error) {
		var r velerov1.Restore
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: veleroNS, Name: name}, &r); err != nil {
			return false, err
		}
		phase = r.Status.Phase
		switch phase {
		case velerov1.RestorePhaseCompleted, velerov1.RestorePhaseFailed, velerov1.RestorePhaseFailedValidation, velerov1.RestorePhasePartiallyFailed:
			return true, nil
		}
		return false, errors.New("phase " + string(phase))
	})
	return phase
}
