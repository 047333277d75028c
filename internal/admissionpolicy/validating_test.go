package admissionpolicy

import "testing"

// TestValidatingPoliciesWithoutWebhook applies only the chart's
// ValidatingAdmissionPolicies (no webhook configuration exists) and checks
// that the API server enforces every stateless rule: each has a denied case
// and an allowed neighbour. Other storage is allowed (webhook.allowOtherStorage,
// which the params carry), so that the rules for every BSL have admitted
// neighbours; testBSLRules switches it off once to show the denial.
func TestValidatingPoliciesWithoutWebhook(t *testing.T) {
	values := sampleValues(true, false)
	values["webhook"] = map[string]any{"allowOtherStorage": true, "veleroOperatorGroups": []any{operatorGroup}}
	c := startClusterWith(t, values, true, false)
	t.Run("BackupStorageLocation", func(t *testing.T) { testBSLRules(t, c) })
	t.Run("Backup", func(t *testing.T) { testBackupRules(t, c) })
	t.Run("Backup and Schedule template", func(t *testing.T) { testBackupSpecRules(t, c) })
	t.Run("Schedule", func(t *testing.T) { testScheduleRules(t, c) })
	t.Run("Restore", func(t *testing.T) { testRestoreRules(t, c) })
	t.Run("Restore guardrails", func(t *testing.T) { testRestoreGuardrails(t, c) })
	t.Run("Restore warnings", func(t *testing.T) { testRestoreWarnings(t, c) })
	t.Run("Velero's own writes", func(t *testing.T) { testVeleroWrites(t, c) })
	t.Run("requester gate", func(t *testing.T) { testRequesterGate(t, c) })
	t.Run("Backup status only by Velero", func(t *testing.T) { testBackupStatus(t, c) })
	t.Run("scoped to the velero namespace", func(t *testing.T) { testScope(t, c) })
	t.Run("large objects", func(t *testing.T) { testLargeObjects(t, c) })
	t.Run("KKP's location name, CEL only", func(t *testing.T) { testKKPLocationCELOnly(t, c) })
	t.Run("params missing", func(t *testing.T) { testParamsMissing(t, c) })
}
