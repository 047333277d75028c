package admissionpolicy

import (
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	backupPolicy   = "clusterbackup-backup"
	schedulePolicy = "clusterbackup-schedule"
	restorePolicy  = "clusterbackup-restore"
)

// testBackupRules: a Backup's spec is frozen once Velero has started it
// (phase past ReadyToStart);
// Velero's status writes and anyone's metadata writes pass.
func testBackupRules(t *testing.T, c *cluster) {
	for _, phase := range []velerov1.BackupPhase{"", velerov1.BackupPhaseNew, velerov1.BackupPhaseQueued, velerov1.BackupPhaseReadyToStart} {
		t.Run("spec change while phase is "+string(phase)+"-is-allowed", func(t *testing.T) {
			b := backup("open-" + lower(string(phase)) + "x")
			wantAllowed(t, c.Client.Create(c.ctx, b))
			b.Status.Phase = phase
			wantAllowed(t, c.Velero.Update(c.ctx, b))
			b.Spec.IncludedNamespaces = []string{"other"}
			b.Spec.SnapshotMoveData = ptrTo(false)
			wantAllowed(t, c.Client.Update(c.ctx, b, client.DryRunAll))
		})
	}
	for _, phase := range []velerov1.BackupPhase{velerov1.BackupPhaseInProgress, velerov1.BackupPhaseCompleted, velerov1.BackupPhaseFailed, velerov1.BackupPhaseFailedValidation} {
		t.Run("phase "+string(phase), func(t *testing.T) {
			b := backup("frozen-" + lower(string(phase)))
			wantAllowed(t, c.Client.Create(c.ctx, b))
			b.Status.Phase = phase
			wantAllowed(t, c.Velero.Update(c.ctx, b))

			spec := b.DeepCopy()
			spec.Spec.TTL.Duration *= 2
			wantDenied(t, c.Client.Update(c.ctx, spec, client.DryRunAll), backupPolicy,
				"Backup velero/"+b.Name, "spec is immutable once the backup has started (phase "+string(phase)+")", "create a new Backup")

			status := b.DeepCopy()
			status.Status.Warnings = 3
			wantAllowed(t, c.Velero.Update(c.ctx, status, client.DryRunAll))

			labels := b.DeepCopy()
			labels.Labels = map[string]string{"velero.io/storage-location": sampleBSL}
			labels.Finalizers = []string{"example.com/keep"}
			wantAllowed(t, c.Client.Update(c.ctx, labels, client.DryRunAll))
		})
	}
}

// testBackupSpecRules: the stateless spec checks on a new Backup and on a
// Schedule's template.
func testBackupSpecRules(t *testing.T, c *cluster) {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}
	tests := map[string]struct {
		edit  func(*velerov1.BackupSpec)
		wants string
	}{
		"both selectors": {edit: func(s *velerov1.BackupSpec) {
			s.LabelSelector = sel
			s.OrLabelSelectors = []*metav1.LabelSelector{sel}
		}, wants: "labelSelector and %sorLabelSelectors are mutually exclusive"},
		"labelSelector only":    {edit: func(s *velerov1.BackupSpec) { s.LabelSelector = sel }},
		"orLabelSelectors only": {edit: func(s *velerov1.BackupSpec) { s.OrLabelSelectors = []*metav1.LabelSelector{sel} }},
		"negative ttl":          {edit: func(s *velerov1.BackupSpec) { s.TTL.Duration = -time.Hour }, wants: `ttl "-1h0m0s" must not be negative`},
		"zero ttl":              {edit: func(s *velerov1.BackupSpec) { s.TTL.Duration = 0 }},
	}
	for name, tc := range tests {
		t.Run("Backup/"+name, func(t *testing.T) {
			b := backup("spec-" + lower(name[:4]) + sprintf("%d", len(name)))
			tc.edit(&b.Spec)
			err := c.Client.Create(c.ctx, b, client.DryRunAll)
			if tc.wants == "" {
				wantAllowed(t, err)
				return
			}
			wantDenied(t, err, backupPolicy, "Backup velero/"+b.Name, "spec."+strings.ReplaceAll(tc.wants, "%s", "spec."))
		})
		t.Run("Schedule/"+name, func(t *testing.T) {
			s := schedule("spec-"+lower(name[:4])+sprintf("%d", len(name)), "@daily")
			tc.edit(&s.Spec.Template)
			err := c.Client.Create(c.ctx, s, client.DryRunAll)
			if tc.wants == "" {
				wantAllowed(t, err)
				return
			}
			wantDenied(t, err, schedulePolicy, "Schedule velero/"+s.Name, "spec.template."+strings.ReplaceAll(tc.wants, "%s", "spec.template."))
		})
	}
	t.Run("Backup/ttl is checked on CREATE only", func(t *testing.T) {
		b := backup("ttl-update")
		wantAllowed(t, c.Client.Create(c.ctx, b))
		b.Spec.TTL.Duration = -time.Hour
		wantAllowed(t, c.Client.Update(c.ctx, b, client.DryRunAll))
	})
}

// testScheduleRules: the coarse cron check, on create and on writes that
// change spec.schedule.
func testScheduleRules(t *testing.T, c *cluster) {
	crons := map[string]bool{ // cron -> allowed
		"0 1 * * *":                  true,
		" 0  1 * * *\t":              true,
		"*/5 * * * MON-FRI":          true,
		"@every 6h":                  true,
		"@every 1h30m":               true,
		"@every 1.5h":                true,
		"@every 0":                   true,
		"@yearly":                    true,
		"@annually":                  true,
		"@monthly":                   true,
		"@weekly":                    true,
		"@daily":                     true,
		"@midnight":                  true,
		"@hourly":                    true,
		"TZ=Europe/Berlin 0 3 * * *": true,
		"CRON_TZ=UTC @hourly":        true,
		"not cron":                   false,
		"":                           false,
		"* * * *":                    false,
		"0 * * * * *":                false,
		"@every":                     false,
		"@every 5x":                  false,
		"@every  5m":                 false,
		"@every 5m ":                 false,
		"@fortnightly":               false,
		"@daily ":                    false,
		"@x 1 2 3 4":                 false,
		"TZ=UTC":                     false,
		"TZ=UTC @weekly5":            false,
		// robfig/cron's field grammar and ranges (issue #29).
		"0 7 * */ *":                          false,
		"*/0 * * * *":                         false,
		"0 25 * * *":                          false,
		"0 5-1 * * *":                         false,
		"0 1 * * 7":                           false,
		"0 1 * 13 *":                          false,
		"0 1 * * sunday":                      false,
		"0 7 ,1,, * *":                        true,
		"0,30 */6 1-15/2 JAN-jun,Dec mon-FRI": true,
		"0 1 * * 0-6/2":                       true,
	}
	i := 0
	for cron, allowed := range crons {
		i++
		t.Run("create/"+cron, func(t *testing.T) {
			s := schedule(sprintf("cron-%d", i), cron)
			err := c.Client.Create(c.ctx, s, client.DryRunAll)
			if allowed {
				wantAllowed(t, err)
				return
			}
			wantDenied(t, err, schedulePolicy, "Schedule velero/"+s.Name, "spec.schedule "+quote(cron), "is not a cron expression", "five fields", "@every <duration>")
		})
	}
	t.Run("update", func(t *testing.T) {
		s := schedule("nightly", "0 1 * * *")
		wantAllowed(t, c.Client.Create(c.ctx, s))
		s.Status.Phase = velerov1.SchedulePhaseEnabled
		wantAllowed(t, c.Client.Update(c.ctx, s))
		bad := s.DeepCopy()
		bad.Spec.Schedule = "0 1 * *"
		wantDenied(t, c.Client.Update(c.ctx, bad, client.DryRunAll), schedulePolicy, "is not a cron expression")
		good := s.DeepCopy()
		good.Spec.Schedule = "@every 12h"
		wantAllowed(t, c.Client.Update(c.ctx, good, client.DryRunAll))
	})
}

// testRestoreRules: exactly one of backupName and scheduleName on create;
// Velero's later fill-in of backupName passes.
func testRestoreRules(t *testing.T, c *cluster) {
	tests := map[string]struct {
		backup, schedule string
		wants            string
	}{
		"neither":       {wants: "spec.backupName or spec.scheduleName is required; name exactly one of them"},
		"both":          {backup: "b1", schedule: "s1", wants: "spec.backupName and spec.scheduleName are both set"},
		"from backup":   {backup: "b1"},
		"from schedule": {schedule: "s1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := restore("r-"+lower(name[:4])+sprintf("%d", len(name)), tc.backup, tc.schedule)
			err := c.Client.Create(c.ctx, r)
			if tc.wants == "" {
				wantAllowed(t, err)
				return
			}
			wantDenied(t, err, restorePolicy, "Restore velero/"+r.Name, tc.wants)
		})
	}
	t.Run("velero fills backupName for a schedule restore", func(t *testing.T) {
		r := restore("r-sched-fill", "", "nightly")
		wantAllowed(t, c.Client.Create(c.ctx, r))
		r.Spec.BackupName = "nightly-20261125010000"
		r.Status.Phase = velerov1.RestorePhaseInProgress
		wantAllowed(t, c.Client.Update(c.ctx, r))
		r.Status.Phase = velerov1.RestorePhaseCompleted
		wantAllowed(t, c.Client.Update(c.ctx, r))
	})
}
