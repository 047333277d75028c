package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// abLabel routes each Backup to one variant through objectSelectors.
const abLabel = "loadgen.clusterbackup.io/variant"

// variant is one measured way of creating Backups: the webhook
// configuration its objects are routed to (by label) and the spec they carry.
type variant struct {
	name, route string
	// scheduled Backups carry a complete spec, as Velero's schedule
	// controller creates them from a defaulted template: nothing to patch.
	scheduled bool
}

// variants measured in each round. The floor is one allow-all hop (as the
// issue defines it); floorpatch is one allow-all hop that returns the same
// 3-op patch ours returns for a velero-CLI Backup, which isolates the API
// server's cost of applying a patch.
var variants = []variant{
	{"none", "none", false}, {"floor", "floor", false}, {"floorpatch", "floorpatch", false}, {"ours", "ours", false},
	{"none/scheduled", "none", true}, {"floor/scheduled", "floor", true}, {"ours/scheduled", "ours", true},
}

func runAPIServer(ctx context.Context, bin string, args []string) error {
	fs := flag.NewFlagSet("apiserver", flag.ContinueOnError)
	rounds := fs.Int("rounds", 20, "alternating rounds")
	perRound := fs.Int("per-round", 250, "Backups created per variant per round (p99 needs thousands of samples per variant)")
	settle := fs.Duration("settle", 15*time.Second, "wait before measuring: a fresh kube-apiserver spends its first seconds publishing CRD OpenAPI")
	fsync := fs.Bool("fsync", false, "let etcd fsync each write (off: the disk's latency spread would drown the webhooks' differences at p99)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := testenv.KubeOptions{}
	if !*fsync {
		opts.EtcdArgs = map[string][]string{"unsafe-no-fsync": {"true"}}
	}
	c, err := startCluster(ctx, opts)
	if err != nil {
		return err
	}
	defer c.stop()
	ours, oursCA, err := startWebhook(ctx, bin, c, "ours")
	if err != nil {
		return err
	}
	defer ours.stop()
	floor, floorCA, err := startAllowAll(ctx, c)
	if err != nil {
		return err
	}
	defer floor.stop()
	if err := register(ctx, c, ours.base, oursCA, floor.base, floorCA); err != nil {
		return err
	}
	if err := waitRegistered(ctx, c); err != nil {
		return err
	}

	time.Sleep(*settle)
	lat := map[string][]time.Duration{}
	n := 0
	create := func(v variant) error {
		n++
		// What `velero backup create --include-namespaces app` sends.
		spec := velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}
		if v.scheduled {
			spec.TTL = metav1.Duration{Duration: 24 * time.Hour}
			spec.StorageLocation = "default"
			spec.DefaultVolumesToFsBackup = ptr.To(true)
		}
		b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("b-%d", n), Namespace: "velero", Labels: map[string]string{abLabel: v.route}}, Spec: spec}
		t := time.Now()
		if err := c.kube.Client.Create(ctx, b); err != nil {
			return fmt.Errorf("create %s: %w", b.Name, err)
		}
		lat[v.name] = append(lat[v.name], time.Since(t))
		return nil
	}
	// Warm-up: connections to both webhooks and the API server's caches.
	for i := 0; i < 20; i++ {
		for _, v := range variants {
			if err := create(v); err != nil {
				return err
			}
		}
	}
	lat = map[string][]time.Duration{}
	for r := 0; r < *rounds; r++ {
		for _, v := range rotate(variants, r) {
			for i := 0; i < *perRound; i++ {
				if err := create(v); err != nil {
					return err
				}
			}
		}
	}
	fmt.Printf("Backup create through kube-apiserver, %d rounds x %d per variant, variants alternating, etcd fsync %v\n", *rounds, *perRound, *fsync)
	p := map[string][2]time.Duration{}
	for _, v := range variants {
		s := lat[v.name]
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		p[v.name] = [2]time.Duration{pct(s, 0.5), pct(s, 0.99)}
		fmt.Printf("  %-16s p50=%-9s p99=%s\n", v.name, round(p[v.name][0]), round(p[v.name][1]))
	}
	for i, q := range []string{"p50", "p99"} {
		added := func(v, none string) time.Duration { return p[v][i] - p[none][i] }
		ratio := func(a, b, none string) float64 { return float64(added(a, none)) / float64(added(b, none)) }
		fmt.Printf("  added %s, velero-CLI Backup (3 defaults): floor=%s floorpatch=%s ours=%s | ours/floor=%.2f ours/floorpatch=%.2f\n", q,
			round(added("floor", "none")), round(added("floorpatch", "none")), round(added("ours", "none")),
			ratio("ours", "floor", "none"), ratio("ours", "floorpatch", "none"))
		fmt.Printf("  added %s, scheduled Backup (no defaults): floor=%s ours=%s | ours/floor=%.2f\n", q,
			round(added("floor/scheduled", "none/scheduled")), round(added("ours/scheduled", "none/scheduled")),
			ratio("ours/scheduled", "floor/scheduled", "none/scheduled"))
	}
	fmt.Printf("  webhook: %s\n", ours.mem())
	return nil
}

func rotate[T any](s []T, r int) []T {
	out := make([]T, len(s))
	for i := range s {
		out[i] = s[(i+r)%len(s)]
	}
	return out
}

// startAllowAll runs this binary's allowall mode as its own process.
func startAllowAll(ctx context.Context, c *cluster) (*proc, []byte, error) {
	certs := c.dir + "/floor-certs"
	ca, err := testcert.Write(certs, "floor")
	if err != nil {
		return nil, nil, err
	}
	port, err := testenv.FreePort()
	if err != nil {
		return nil, nil, err
	}
	hport, err := testenv.FreePort()
	if err != nil {
		return nil, nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	health := "127.0.0.1:" + strconv.Itoa(hport)
	p, err := startProc(ctx, self, []string{"allowall", "-port", strconv.Itoa(port), "-cert-dir", certs, "-health-addr", health}, port, ca, "http://"+health+"/readyz")
	return p, ca, err
}

// register installs our configurations (objectSelector variant=ours) and
// the allow-all ones: "floor" a single validating hook, "floorpatch" a
// single mutating hook returning a fixed patch.
func register(ctx context.Context, c *cluster, oursURL string, oursCA []byte, floorURL string, floorCA []byte) error {
	sel := func(v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{abLabel: v}}
	}
	mwc, vwc := user.Configurations(user.ConfigurationOptions{Name: "ours", URL: oursURL, CABundle: oursCA, ObjectSelector: sel("ours")})
	floorHook := func(name, path, v string) admissionregv1.ValidatingWebhook {
		return admissionregv1.ValidatingWebhook{
			Name:         name + ".floor.loadgen.clusterbackup.io",
			ClientConfig: admissionregv1.WebhookClientConfig{URL: ptr.To(floorURL + path), CABundle: floorCA},
			Rules: []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{admissionregv1.Create},
				Rule: admissionregv1.Rule{APIGroups: []string{"velero.io"}, APIVersions: []string{"v1"}, Resources: []string{"backups"}}}},
			FailurePolicy: ptr.To(admissionregv1.Fail), SideEffects: ptr.To(admissionregv1.SideEffectClassNone),
			TimeoutSeconds: ptr.To[int32](5), AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "velero"}},
			ObjectSelector:    sel(v),
		}
	}
	mutating := func(h admissionregv1.ValidatingWebhook) admissionregv1.MutatingWebhook {
		return admissionregv1.MutatingWebhook{
			Name: h.Name, ClientConfig: h.ClientConfig, Rules: h.Rules, FailurePolicy: h.FailurePolicy, SideEffects: h.SideEffects,
			TimeoutSeconds: h.TimeoutSeconds, AdmissionReviewVersions: h.AdmissionReviewVersions, NamespaceSelector: h.NamespaceSelector, ObjectSelector: h.ObjectSelector,
			ReinvocationPolicy: ptr.To(admissionregv1.NeverReinvocationPolicy),
		}
	}
	floorM := &admissionregv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "floor"}, Webhooks: []admissionregv1.MutatingWebhook{
		mutating(floorHook("mutatepatch", "/mutate-patch", "floorpatch")),
	}}
	floorV := &admissionregv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "floor"}, Webhooks: []admissionregv1.ValidatingWebhook{
		floorHook("validate", "/validate", "floor"),
	}}
	for _, o := range []client.Object{mwc, vwc, floorM, floorV} {
		if err := c.kube.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("register %s: %w", o.GetName(), err)
		}
	}
	return nil
}

// waitRegistered waits until the API server calls our webhook: a dry-run
// Backup on a missing location is denied.
func waitRegistered(ctx context.Context, c *cluster) error {
	b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: "velero", Labels: map[string]string{abLabel: "ours"}},
		Spec: velerov1.BackupSpec{StorageLocation: "missing"}}
	for i := 0; i < 100; i++ {
		if err := c.kube.Client.Create(ctx, b.DeepCopy(), client.DryRunAll); err != nil {
			time.Sleep(time.Second) // let the floor's configuration settle too
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("webhook configuration not in effect after 10s")
}
