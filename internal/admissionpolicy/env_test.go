package admissionpolicy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// The tests talk to the API server only; controller-runtime's own logs
// would be noise.
func init() { ctrllog.SetLogger(logr.Discard()) }

// cluster is a real kube-apiserver with the chart's admission policies
// applied and active, and no webhook registered.
type cluster struct {
	*kubeenv.ControlPlane
	ctx context.Context
	// Velero acts as Velero's service account, the only writer of a
	// Backup's status.
	Velero client.Client
}

// startCluster starts a control plane, creates the velero namespace, applies
// the rendered policies for the sample cluster and waits until the API server
// enforces every one of them.
func startCluster(t testing.TB, validating, mutating bool) *cluster {
	t.Helper()
	return startClusterWith(t, sampleValues(validating, mutating), validating, mutating)
}

// startClusterWith is startCluster for the given chart values.
func startClusterWith(t testing.TB, values map[string]any, validating, mutating bool) *cluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	objs, err := renderPolicies(values)
	if err != nil {
		t.Fatalf("render the chart's admission policies: %v", err)
	}
	k := kubeenv.Start(t, kubeenv.Options{})
	c := &cluster{ControlPlane: k, ctx: ctx}
	if c.Velero, err = k.ClientAs(veleroUser, "system:masters"); err != nil {
		t.Fatal(err)
	}
	if err := k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: sampleNamespace}}); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := k.Client.Create(ctx, o); err != nil {
			t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	// Mutating first: until they are effective, every write they match
	// fails, including the validating probes' setup.
	if mutating {
		c.waitMutating(t)
	}
	if validating {
		c.waitValidating(t)
	}
	return c
}

// waitValidating polls with a known-bad object per policy (dry-run) until
// the API server denies it: bindings become effective asynchronously.
func (c *cluster) waitValidating(t testing.TB) {
	t.Helper()
	started := backup("probe-started")
	if err := c.Client.Create(c.ctx, started); err != nil {
		t.Fatal(err)
	}
	started.Status.Phase = velerov1.BackupPhaseCompleted
	if err := c.Velero.Update(c.ctx, started); err != nil {
		t.Fatal(err)
	}
	probes := map[string]func() error{
		"clusterbackup-bsl": func() error {
			return c.Client.Create(c.ctx, fixtures.BSL("probe", "other-bucket", "", "a//b"), client.DryRunAll)
		},
		"clusterbackup-backup": func() error {
			b := started.DeepCopy()
			b.Spec.IncludedNamespaces = []string{"probe"}
			return c.Client.Update(c.ctx, b, client.DryRunAll)
		},
		"clusterbackup-schedule": func() error {
			return c.Client.Create(c.ctx, schedule("probe", "not cron"), client.DryRunAll)
		},
		"clusterbackup-restore": func() error {
			return c.Client.Create(c.ctx, restore("probe", "", ""), client.DryRunAll)
		},
	}
	for policy, probe := range probes {
		c.waitDenied(t, policy, probe)
	}
	c.waitWarning(t)
}

// waitDenied polls probe until the named policy denies it.
func (c *cluster) waitDenied(t testing.TB, policy string, probe func() error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(c.ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = probe()
		return last != nil && strings.Contains(last.Error(), fmt.Sprintf("'%s'", policy)), nil
	})
	if err != nil {
		t.Fatalf("policy %s never became effective; last answer: %v", policy, last)
	}
}

// waitMutating polls with dry-run creates until every defaulting policy
// fills its defaults.
func (c *cluster) waitMutating(t testing.TB) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(c.ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		b := cliBackup("probe")
		// Until the API server has the CRDs' schemas for apply
		// configurations, the policies fail (failurePolicy Fail).
		if err := c.Client.Create(ctx, b, client.DryRunAll); err != nil {
			last = err.Error()
			return false, nil
		}
		s := cliSchedule("probe", "@daily")
		if err := c.Client.Create(ctx, s, client.DryRunAll); err != nil {
			last = err.Error()
			return false, nil
		}
		l := fixtures.BSL(sampleBSL, "", "", "")
		if err := c.Client.Create(ctx, l, client.DryRunAll); err != nil {
			last = err.Error()
			return false, nil
		}
		last = fmt.Sprintf("backup storageLocation %q, schedule template storageLocation %q, managed BSL prefix %q",
			b.Spec.StorageLocation, s.Spec.Template.StorageLocation, l.Spec.ObjectStorage.Prefix)
		return b.Spec.StorageLocation == sampleBSL && s.Spec.Template.StorageLocation == sampleBSL && l.Spec.ObjectStorage.Prefix == samplePrefix, nil
	})
	if err != nil {
		t.Fatalf("defaulting policies never became effective: %s: %v", last, err)
	}
}
