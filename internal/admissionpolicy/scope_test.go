package admissionpolicy

import (
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// testScope: the bindings cover the velero namespace only.
func testScope(t *testing.T, c *cluster) {
	ns := "elsewhere"
	wantAllowed(t, c.Client.Create(c.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	b := fixtures.BSL("bad", sampleBucket, sampleEndpoint, "a//b")
	b.Namespace = ns
	wantAllowed(t, c.Client.Create(c.ctx, b, client.DryRunAll))
	r := restore("neither", "", "")
	r.Namespace = ns
	r.Spec.NamespaceMapping = map[string]string{"app": "kube-system"}
	wantAllowed(t, c.Client.Create(c.ctx, r, client.DryRunAll))
	s := schedule("bad", "not cron")
	s.Namespace = ns
	wantAllowed(t, c.Client.Create(c.ctx, s, client.DryRunAll))
}

// testLargeObjects: objects near the API server's request size limit are
// judged by the rules themselves, with their own messages, never by a CEL
// cost-budget error (a cron expression over 1024 characters is left to the
// webhook's exact parse).
func testLargeObjects(t *testing.T, c *cluster) {
	const size = 1 << 20 // 1 MiB
	t.Run("prefix of 1 MiB with many segments", func(t *testing.T) {
		b := fixtures.BSL("huge-prefix", "other-bucket", "", strings.Repeat("a/", size/2))
		wantDenied(t, c.Client.Create(c.ctx, b, client.DryRunAll), bslPolicy, "bytes long; at most 512 are allowed")
	})
	t.Run("prefix of 512 bytes with 256 segments", func(t *testing.T) {
		b := ownKeys(fixtures.BSL("many-segments", "other-bucket", "", strings.Repeat("a/", 256)))
		wantAllowed(t, c.Client.Create(c.ctx, b, client.DryRunAll))
	})
	t.Run("cron of 1 KiB", func(t *testing.T) {
		s := schedule("long-cron", "0 1 * * *"+strings.Repeat(" ", 1024-9))
		wantAllowed(t, c.Client.Create(c.ctx, s, client.DryRunAll))
		s = schedule("long-cron-bad", strings.Repeat("1 ", 512))
		wantDenied(t, c.Client.Create(c.ctx, s, client.DryRunAll), schedulePolicy, "is not a cron expression")
	})
	t.Run("cron of 1 MiB is left to the webhook", func(t *testing.T) {
		s := schedule("huge-cron-bad", strings.Repeat("1 ", size/2))
		wantAllowed(t, c.Client.Create(c.ctx, s, client.DryRunAll))
	})
	t.Run("Backup of 1 MiB after completion", func(t *testing.T) {
		b := backup("huge-backup")
		for i := 0; i < size/32; i++ {
			b.Spec.IncludedNamespaces = append(b.Spec.IncludedNamespaces, sprintf("namespace-%020d", i))
		}
		wantAllowed(t, c.Client.Create(c.ctx, b))
		b.Status.Phase = velerov1.BackupPhaseCompleted
		wantAllowed(t, c.Velero.Update(c.ctx, b))
		status := b.DeepCopy()
		status.Status.Warnings = 1
		wantAllowed(t, c.Velero.Update(c.ctx, status, client.DryRunAll))
		b.Spec.IncludedNamespaces[len(b.Spec.IncludedNamespaces)-1] = "changed"
		wantDenied(t, c.Client.Update(c.ctx, b, client.DryRunAll), backupPolicy, "spec is immutable")
	})
}

// testParamsMissing: without its params ConfigMap the BSL policy fails
// closed (a tenant who could delete it must not switch the rules off), while
// the policies that need no params keep Velero's Backup writes flowing.
// Run it last: it deletes the params.
func testParamsMissing(t *testing.T, c *cluster) {
	cm := &corev1.ConfigMap{ObjectMeta: meta(paramsName)}
	wantAllowed(t, c.Client.Delete(c.ctx, cm))
	c.waitDenied(t, bslPolicy, func() error {
		return c.Client.Create(c.ctx, fixtures.BSL("no-params", "other-bucket", "", "fine"), client.DryRunAll)
	})
	err := c.Client.Create(c.ctx, fixtures.BSL("no-params", "other-bucket", "", "fine"), client.DryRunAll)
	wantDenied(t, err, bslPolicy, "no params found")

	b := backup("no-params")
	wantAllowed(t, c.Client.Create(c.ctx, b))
	b.Status.Phase = velerov1.BackupPhaseCompleted
	wantAllowed(t, c.Velero.Update(c.ctx, b))
	b.Spec.TTL.Duration = 1
	wantDenied(t, c.Client.Update(c.ctx, b, client.DryRunAll), backupPolicy, "spec is immutable")
}
