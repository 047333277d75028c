package admissionpolicy

import (
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// defaultTTL is the ttl the webhook and the policies give a Backup that
// leaves it unset.
var defaultTTL = metav1.Duration{Duration: 720 * time.Hour}

// TestMutatingPoliciesAlone applies only the chart's MutatingAdmissionPolicies
// (validating policies off, no webhook) and checks that a velero-CLI-shaped
// Backup and Schedule are stored with the webhook's defaults, field by field,
// and that nothing a writer set is overwritten.
func TestMutatingPoliciesAlone(t *testing.T) {
	c := startCluster(t, false, true)

	t.Run("velero CLI Backup", func(t *testing.T) {
		b := cliBackup("cli")
		want := b.Spec.DeepCopy()
		want.TTL = defaultTTL
		want.StorageLocation = sampleBSL
		want.DefaultVolumesToFsBackup = ptrTo(true)
		if err := c.Client.Create(c.ctx, b); err != nil {
			t.Fatal(err)
		}
		got := c.getBackup(t, "cli")
		if !equality.Semantic.DeepEqual(got.Spec, *want) {
			t.Fatalf("stored spec\n%+v\nwant\n%+v", got.Spec, *want)
		}
		if got.Spec.CSISnapshotTimeout.Duration != 0 || got.Spec.ItemOperationTimeout.Duration != 0 {
			t.Fatalf("csiSnapshotTimeout/itemOperationTimeout changed: %v/%v; Velero defaults those itself", got.Spec.CSISnapshotTimeout, got.Spec.ItemOperationTimeout)
		}
	})

	t.Run("Backup without ttl", func(t *testing.T) {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "velero.io/v1", "kind": "Backup",
			"metadata": map[string]any{"name": "no-ttl", "namespace": sampleNamespace},
			"spec":     map[string]any{"includedNamespaces": []any{"app"}},
		}}
		if err := c.Client.Create(c.ctx, u); err != nil {
			t.Fatal(err)
		}
		got := c.getBackup(t, "no-ttl")
		if got.Spec.TTL != defaultTTL || got.Spec.StorageLocation != sampleBSL || got.Spec.DefaultVolumesToFsBackup == nil || !*got.Spec.DefaultVolumesToFsBackup {
			t.Fatalf("stored spec %+v, want ttl 720h, storageLocation %q, defaultVolumesToFsBackup true", got.Spec, sampleBSL)
		}
	})

	t.Run("zero ttl spelled otherwise", func(t *testing.T) {
		for i, ttl := range []string{"0", "0h0m0s", "0.0s", "-0s"} {
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "velero.io/v1", "kind": "Backup",
				"metadata": map[string]any{"name": sprintf("zero-%d", i), "namespace": sampleNamespace},
				"spec":     map[string]any{"ttl": ttl},
			}}
			if err := c.Client.Create(c.ctx, u, client.DryRunAll); err != nil {
				t.Fatal(err)
			}
			if got := u.Object["spec"].(map[string]any)["ttl"]; got != "720h0m0s" {
				t.Errorf("ttl %q stored as %v, want 720h0m0s", ttl, got)
			}
		}
	})

	t.Run("set values stay", func(t *testing.T) {
		b := cliBackup("explicit")
		b.Spec.TTL = metav1.Duration{Duration: 24 * time.Hour}
		b.Spec.StorageLocation = "elsewhere"
		b.Spec.DefaultVolumesToFsBackup = ptrTo(false)
		want := b.Spec.DeepCopy()
		if err := c.Client.Create(c.ctx, b); err != nil {
			t.Fatal(err)
		}
		if got := c.getBackup(t, "explicit"); !equality.Semantic.DeepEqual(got.Spec, *want) {
			t.Fatalf("stored spec\n%+v\nwant it unchanged\n%+v", got.Spec, *want)
		}
	})

	t.Run("Backup synced from storage stays untouched", func(t *testing.T) {
		b := cliBackup("synced")
		b.Status.Phase = velerov1.BackupPhaseCompleted
		want := b.Spec.DeepCopy()
		if err := c.Client.Create(c.ctx, b); err != nil {
			t.Fatal(err)
		}
		if got := c.getBackup(t, "synced"); !equality.Semantic.DeepEqual(got.Spec, *want) {
			t.Fatalf("stored spec\n%+v\nwant it unchanged\n%+v", got.Spec, *want)
		}
	})

	t.Run("Backup updates are not defaulted", func(t *testing.T) {
		b := c.getBackup(t, "explicit")
		b.Spec.TTL = metav1.Duration{}
		if err := c.Client.Update(c.ctx, b); err != nil {
			t.Fatal(err)
		}
		if got := c.getBackup(t, "explicit"); got.Spec.TTL.Duration != 0 {
			t.Fatalf("ttl defaulted on UPDATE to %v; the webhook defaults Backups on CREATE only", got.Spec.TTL)
		}
	})

	t.Run("velero CLI Schedule", func(t *testing.T) {
		s := cliSchedule("cli", "0 1 * * *")
		want := s.Spec.DeepCopy()
		want.Template.TTL = defaultTTL
		want.Template.StorageLocation = sampleBSL
		want.Template.DefaultVolumesToFsBackup = ptrTo(true)
		if err := c.Client.Create(c.ctx, s); err != nil {
			t.Fatal(err)
		}
		got := c.getSchedule(t, "cli")
		if !equality.Semantic.DeepEqual(got.Spec, *want) {
			t.Fatalf("stored spec\n%+v\nwant\n%+v", got.Spec, *want)
		}
		// A spec-changing update is defaulted again, like the webhook does.
		got.Spec.Template.TTL = metav1.Duration{}
		got.Spec.Schedule = "0 2 * * *"
		if err := c.Client.Update(c.ctx, got); err != nil {
			t.Fatal(err)
		}
		if again := c.getSchedule(t, "cli"); again.Spec.Template.TTL != defaultTTL {
			t.Fatalf("template ttl after a spec update = %v, want 720h", again.Spec.Template.TTL)
		}
	})

	t.Run("managed BSL filled and normalized", func(t *testing.T) {
		b := fixtures.BSL(sampleBSL, "", "", "", fixtures.Region("us-east-1"))
		if err := c.Client.Create(c.ctx, b); err != nil {
			t.Fatal(err)
		}
		got := c.getBSL(t, sampleBSL)
		if !got.Spec.Default || got.Spec.ObjectStorage.Bucket != sampleBucket || got.Spec.ObjectStorage.Prefix != samplePrefix || got.Spec.Config["s3Url"] != sampleEndpoint || got.Spec.Config["region"] != "us-east-1" {
			t.Fatalf("managed BSL stored as %+v", got.Spec)
		}
		got.Spec.ObjectStorage.Prefix = samplePrefix + "/"
		got.Spec.Default = false
		if err := c.Client.Update(c.ctx, got); err != nil {
			t.Fatal(err)
		}
		if again := c.getBSL(t, sampleBSL); !again.Spec.Default || again.Spec.ObjectStorage.Prefix != samplePrefix {
			t.Fatalf("managed BSL after update: default %v, prefix %q", again.Spec.Default, again.Spec.ObjectStorage.Prefix)
		}
	})

	t.Run("other BSLs untouched", func(t *testing.T) {
		b := fixtures.BSL("other", "other-bucket", "", "x/")
		want := b.Spec.DeepCopy()
		if err := c.Client.Create(c.ctx, b); err != nil {
			t.Fatal(err)
		}
		if got := c.getBSL(t, "other"); !equality.Semantic.DeepEqual(got.Spec, *want) {
			t.Fatalf("stored spec %+v, want it unchanged %+v", got.Spec, *want)
		}
	})
}

func (c *cluster) getBackup(t *testing.T, name string) *velerov1.Backup {
	t.Helper()
	var b velerov1.Backup
	if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: name}, &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func (c *cluster) getSchedule(t *testing.T, name string) *velerov1.Schedule {
	t.Helper()
	var s velerov1.Schedule
	if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func (c *cluster) getBSL(t *testing.T, name string) *velerov1.BackupStorageLocation {
	t.Helper()
	var b velerov1.BackupStorageLocation
	if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: name}, &b); err != nil {
		t.Fatal(err)
	}
	return &b
}
